/**
 * `batou secrets ...`: edit, summary, add, remove, reencrypt, keygen, decrypttostdout.
 * A thin layer over lib/secrets/; see docs/secrets-format.md.
 */
import { existsSync, readFileSync } from "node:fs";
import { hostname, userInfo } from "node:os";
import { resolve } from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { BatouError } from "../../engine/errors.ts";
import { editSecrets } from "../../secrets/edit.ts";
import { SecretsError } from "../../secrets/secrets-error.ts";
import { openSealed } from "../../secrets/format.ts";
import { defaultNativeKeyPath, loadIdentities, writeNativeKey } from "../../secrets/identities.ts";
import { addRecipient, keyArgument, reencrypt, removeRecipient } from "../../secrets/manage.ts";
import { summarize } from "../../secrets/summary.ts";
import { findProjectRoot } from "../../project.ts";
import { escapeForTerminal } from "../../terminal.ts";
import { type Command, UsageError } from "../command.ts";

const USAGE = `usage: batou secrets <subcommand> [options]

  edit ENV [NAME] [-e EDITOR]          edit ENV's secrets.toml, or its secret file NAME,
                                       with $EDITOR (else vi); re-encrypts on save
  summary                              environments, recipients and secret files
  add KEY [--environments a,b]         add a public key (a line, or a .pub file) to the
                                       recipients (default: all environments), re-encrypt
  remove KEY [--environments a,b]      remove a recipient (key line, fingerprint or comment)
                                       and re-encrypt with a new key
  reencrypt [--environments a,b] [-f]  re-encrypt files whose recipients differ from the
                                       recipients file, sign unsigned (v1) files (-f: every
                                       file, new keys; re-signs files of former recipients)
  keygen [PATH] [-C COMMENT]           create a batou key pair (default PATH:
                                       $XDG_CONFIG_HOME/batou/identity)
  decrypttostdout FILE                 print a sealed file's cleartext (a git textconv)

Keys in environments/ENV/recipients: "ssh-ed25519 AAAA... comment" or
"batou-x25519 BASE64 comment". Your identities: BATOU_IDENTITY=key1,key2 (else
~/.ssh/id_ed25519 and the keygen default); passphrases from BATOU_IDENTITY_PASSPHRASE
or the terminal.`;

type Options = NonNullable<ParseArgsConfig["options"]>;

function parse(args: string[], options: Options, positionals: [min: number, max: number], what: string) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`secrets ${what}: ${(error as Error).message}`);
  }
  const n = parsed.positionals.length;
  if (n < positionals[0] || n > positionals[1]) {
    throw new UsageError(`secrets ${what}: expected ${positionals[0] === positionals[1] ? positionals[0] : `${positionals[0]} to ${positionals[1]}`} argument(s), got ${n}`);
  }
  return { values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals };
}

const ENVIRONMENTS: Options = { environments: { type: "string" } };

function defaultComment(): string {
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return hostname();
  }
}

async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case "edit": {
      const { values, positionals } = parse(rest, { editor: { type: "string", short: "e" } }, [1, 2], sub);
      const outcome = await editSecrets({
        projectRoot: findProjectRoot(),
        env: positionals[0],
        name: positionals[1] ?? null,
        editor: values.editor as string | undefined,
      });
      return outcome === "discarded" ? 1 : 0;
    }
    case "summary": {
      parse(rest, {}, [0, 0], sub);
      const { lines, ok } = summarize(findProjectRoot());
      console.log(lines.join("\n").trimEnd());
      return ok ? 0 : 1;
    }
    case "add":
    case "remove": {
      const { values, positionals } = parse(rest, ENVIRONMENTS, [1, Infinity], sub);
      const key = positionals.join(" ");
      const envs = values.environments as string | undefined;
      if (sub === "add") await addRecipient(findProjectRoot(), keyArgument(key), envs);
      else await removeRecipient(findProjectRoot(), keyArgument(key), envs);
      return 0;
    }
    case "reencrypt": {
      const { values } = parse(rest, { ...ENVIRONMENTS, force: { type: "boolean", short: "f" } }, [0, 0], sub);
      await reencrypt(findProjectRoot(), values.environments as string | undefined, values.force === true);
      return 0;
    }
    case "keygen": {
      const { values, positionals } = parse(rest, { comment: { type: "string", short: "C" } }, [0, 1], sub);
      const path = resolve(positionals[0] ?? defaultNativeKeyPath());
      const { publicLine, fingerprint } = writeNativeKey(path, (values.comment as string | undefined) ?? defaultComment());
      console.error(`Wrote ${path} (private, mode 0600) and ${path}.pub (fingerprint ${fingerprint}).`);
      console.error("Give this public key to a recipient, who adds it with `batou secrets add`:");
      console.log(publicLine);
      return 0;
    }
    case "decrypttostdout": {
      const { positionals } = parse(rest, {}, [1, 1], sub);
      const file = positionals[0];
      if (!existsSync(file)) throw new SecretsError(`${file}: no such file`);
      // A viewer (also of old versions in git history): checks that the file is intact, not who may seal it.
      const opened = await openSealed(readFileSync(file, "utf8"), loadIdentities(), file, { allowUnsigned: true });
      await Bun.write(Bun.stdout, opened.plaintext);
      return 0;
    }
    case undefined:
      throw new UsageError("secrets: missing subcommand");
    default:
      throw new UsageError(`secrets: unknown subcommand '${sub}'`);
  }
}

/** The `batou secrets` command. Failures print one message (no stack) and exit 1. */
export const secretsCommand: Command = {
  name: "secrets",
  summary: "edit and manage encrypted secrets (edit, summary, add, remove, reencrypt, keygen)",
  usage: USAGE,
  async run(args: string[]): Promise<number> {
    try {
      return await run(args);
    } catch (error) {
      if (error instanceof BatouError || (error instanceof Error && "code" in error && "syscall" in error)) {
        const details = error instanceof BatouError ? error.details().map(([label, value]) => `\n  ${label}: ${value}`) : [];
        const text = `batou secrets: ${error.message}${details.join("")}`;
        console.error(text.split("\n").map(escapeForTerminal).join("\n"));
        return 1;
      }
      throw error;
    }
  },
};
