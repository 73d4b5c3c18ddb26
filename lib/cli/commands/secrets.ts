/**
 * `batou secrets ...`: edit, summary, add, remove, reencrypt, keygen, decrypttostdout.
 * A thin layer over lib/secrets/; see docs/secrets.md and docs/secrets-format.md.
 */
import { existsSync, readFileSync } from "node:fs";
import { hostname, userInfo } from "node:os";
import { resolve } from "node:path";
import { editSecrets } from "../../secrets/edit.ts";
import { SecretsError } from "../../secrets/secrets-error.ts";
import { openSealed } from "../../secrets/format.ts";
import { defaultNativeKeyPath, loadIdentities, writeNativeKey } from "../../secrets/identities.ts";
import { addRecipient, keyArgument, reencrypt, removeRecipient } from "../../secrets/manage.ts";
import { findProjectRoot } from "../../project-root.ts";
import { defineCommand, defineGroup, type OptionSpec } from "../command.ts";
import { note, say } from "../output.ts";
import { summaryCommand } from "./secrets-summary.ts";

const ENVIRONMENTS = {
  type: "string",
  value: "a,b",
  help: "only these environments (comma-separated; default: all)",
} as const satisfies OptionSpec;

function defaultComment(): string {
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return hostname();
  }
}

const edit = defineCommand({
  name: "edit",
  summary: "edit ENV's secrets.toml, or its secret file NAME, re-encrypting on save",
  description: `Opens ENV's secrets (secrets.toml: overrides and host data), or its secret
file NAME (secret-NAME.nacl), as cleartext in $EDITOR (else vi) and seals it
again on save. Invalid TOML is offered for editing again on a terminal.`,
  arguments: [{ name: "ENV" }, { name: "NAME", optional: true }],
  options: { editor: { type: "string", short: "e", value: "EDITOR", help: "the editor to run (default: $EDITOR, else vi)" } },
  async run({ args, options }) {
    const outcome = await editSecrets({ projectRoot: findProjectRoot(), env: args[0]!, name: args[1] ?? null, editor: options.editor, log: say });
    return outcome === "discarded" ? 1 : 0;
  },
});

const add = defineCommand({
  name: "add",
  summary: "add a public key to the recipients and re-encrypt",
  description: `Adds a public key (the key line, or a .pub file) to the recipients of the
environments (default: all that have a folder) and re-encrypts their files.`,
  arguments: [{ name: "KEY", variadic: true }],
  options: { environments: ENVIRONMENTS },
  async run({ args, options }) {
    await addRecipient(findProjectRoot(), keyArgument(args.join(" ")), options.environments, { log: say });
    return 0;
  },
});

const remove = defineCommand({
  name: "remove",
  summary: "remove a recipient and re-encrypt with a new key",
  description: `Removes a recipient (its key line, fingerprint or comment) from the recipients
of the environments and re-encrypts their files with a new file key.`,
  arguments: [{ name: "KEY", variadic: true }],
  options: { environments: ENVIRONMENTS },
  async run({ args, options }) {
    await removeRecipient(findProjectRoot(), keyArgument(args.join(" ")), options.environments, { log: say });
    return 0;
  },
});

const reencryptCommand = defineCommand({
  name: "reencrypt",
  summary: "re-encrypt files whose recipients differ from the recipients file; sign unsigned files",
  description: `Re-encrypts every sealed file whose recipients differ from its environment's
recipients file, and signs unsigned (v1) files.`,
  options: {
    environments: ENVIRONMENTS,
    force: { type: "boolean", short: "f", help: "every file, with new file keys; re-signs files of former recipients" },
  },
  async run({ options }) {
    await reencrypt(findProjectRoot(), options.environments, options.force, { log: say });
    return 0;
  },
});

const keygen = defineCommand({
  name: "keygen",
  summary: "create a batou key pair",
  description: `Creates a batou-x25519 key pair: the private key at PATH (mode 0600) and the
public key at PATH.pub, printed on stdout for a recipient to add.`,
  arguments: [{ name: "PATH", optional: true }],
  options: { comment: { type: "string", short: "C", value: "COMMENT", help: "the comment of the public key (default: USER@HOST)" } },
  async run({ args, options }) {
    const path = resolve(args[0] ?? defaultNativeKeyPath());
    const { publicLine, fingerprint } = writeNativeKey(path, options.comment ?? defaultComment());
    note(`Wrote ${path} (private, mode 0600) and ${path}.pub (fingerprint ${fingerprint}).`);
    note("Give this public key to a recipient, who adds it with `batou secrets add`:");
    say(publicLine);
    return 0;
  },
});

const decrypttostdout = defineCommand({
  name: "decrypttostdout",
  summary: "print a sealed file's cleartext (a git textconv)",
  description: `Prints the cleartext of a sealed file, byte for byte, on stdout. For git:
git config diff.batou-secrets.textconv "bun batou.ts secrets decrypttostdout"`,
  arguments: [{ name: "FILE" }],
  async run({ args }) {
    const file = args[0]!;
    if (!existsSync(file)) throw new SecretsError(`cannot read ${file}: no such file`);
    // A viewer (also of old versions in git history): checks that the file is intact, not who may seal it.
    const opened = await openSealed(readFileSync(file, "utf8"), loadIdentities(), file, { allowUnsigned: true });
    await Bun.write(Bun.stdout, opened.plaintext);
    return 0;
  },
});

export const secretsCommand = defineGroup({
  name: "secrets",
  summary: "edit and manage encrypted secrets",
  description: `Edits and manages the secrets sealed per environment.

Keys in environments/ENV/recipients: "ssh-ed25519 AAAA... comment" or
"batou-x25519 BASE64 comment". Your identities: BATOU_IDENTITY=key1,key2 (else
~/.ssh/id_ed25519 and the keygen default); passphrases from BATOU_IDENTITY_PASSPHRASE
or the terminal.`,
  commands: [edit, summaryCommand, add, remove, reencryptCommand, keygen, decrypttostdout],
});
