/**
 * `batou secrets edit ENV [NAME]`: decrypts into a private temp folder (0700, removed on
 * every exit path including signals), runs `$EDITOR` (else `vi`), checks the result and
 * seals it again, all under the environment's secrets lock.
 */
import pc from "picocolors";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newSecretsTemplate, parseSecretsToml, type SecretsDocument, weakSecretValues } from "./cleartext.ts";
import { SecretsError } from "./secrets-error.ts";
import { seal } from "./format.ts";
import { lockSecrets } from "./edit-lock.ts";
import { modelProblems } from "./model-check.ts";
import { environmentDir, recipientsPath, sealedPath } from "./paths.ts";
import { describeRecipient, readRecipients } from "./recipients.ts";
import { needsSigningKey, recordSigningKey, sealerIdentity, withSealerSigningKey } from "./sealer.ts";
import { decodeUtf8, deployTrust, type IdentitySource, lazyIdentities, openSealedPath, writeSealed } from "./store.ts";
import { canPrompt, colorWanted, confirm, printLine } from "../terminal.ts";
import { printError } from "../engine/error-printer.ts";

/** What {@link editSecrets} needs. */
export interface EditOptions {
  projectRoot: string;
  env: string;
  /** A secret file's name (`secret-NAME.nacl`); absent: `secrets.toml.nacl`. */
  name?: string | null;
  /** Shell command of the editor; default `$EDITOR`, else `vi`. The file path is appended. */
  editor?: string;
  identities?: IdentitySource;
  /** Offer to edit again after invalid TOML or keys the model does not know; default: stdin is a terminal. */
  interactive?: boolean;
  log?: (line: string) => void;
}

/** How an edit ended. */
export type EditOutcome = "saved" | "unchanged" | "discarded";

const SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

/** Runs the editor on `file`; resolves to its exit code. */
async function runEditor(editor: string, file: string): Promise<number> {
  const child = Bun.spawn(["sh", "-c", `${editor} "$1"`, "batou-secrets-edit", file], {
    stdio: ["inherit", "inherit", "inherit"],
  });
  return child.exited;
}

/**
 * Edits one sealed file of an environment, sealed and signed by the first of the user's
 * identities that is a recipient (without one, nothing can be saved, so it fails before
 * the editor runs). A missing file is created; an unsigned (v1) file is signed on saving,
 * even unchanged. Invalid secrets TOML is reported with its line; on a terminal the user
 * may edit again, otherwise it fails and the sealed file stays as it was. Keys the model
 * does not know are listed with the known names (edit again, or save as it is).
 * Cleartext exists only in memory and in the private temp folder while the editor runs.
 */
export async function editSecrets(opts: EditOptions): Promise<EditOutcome> {
  const log = opts.log ?? printLine;
  const dir = environmentDir(opts.projectRoot, opts.env);
  if (!dir) {
    throw new SecretsError(
      `environment ${opts.env} is a single file (environments/${opts.env}.toml) and cannot hold secrets; ` +
        `move it to environments/${opts.env}/environment.toml`,
    );
  }
  const target = sealedPath(opts.projectRoot, dir, opts.name ?? null);
  const recipientsDisplay = `environments/${opts.env}/recipients`;
  const recipients = readRecipients(recipientsPath(dir), recipientsDisplay);
  if (recipients.length === 0) {
    throw new SecretsError(
      `${recipientsDisplay}: no recipients; add your public key first, e.g. ` +
        `batou secrets add ~/.ssh/id_ed25519.pub --environments ${opts.env}`,
    );
  }
  const editor = opts.editor ?? (process.env.EDITOR || "vi");
  const interactive = opts.interactive ?? canPrompt();
  // Only a recipient's signature is accepted: find the sealer before anything else.
  const identities = await lazyIdentities(opts.identities)();
  const sealer = sealerIdentity(identities, recipients, recipientsDisplay);
  const signers = withSealerSigningKey(recipients, sealer);

  const lock = lockSecrets(dir, `batou secrets edit ${opts.env}`, opts.projectRoot);
  let tempDir: string | undefined;
  let editing = false;
  const cleanup = () => {
    if (tempDir) {
      rmSync(tempDir, { recursive: true, force: true });
      tempDir = undefined;
    }
    lock.release();
  };
  const handlers = Object.entries(SIGNALS).map(([signal, code]) => {
    const handler = () => {
      if (signal === "SIGINT" && editing) return; // the editor handles Ctrl-C itself
      cleanup();
      process.exit(code);
    };
    process.on(signal as NodeJS.Signals, handler);
    return [signal, handler] as const;
  });
  process.on("exit", cleanup);
  try {
    const exists = existsSync(target.path);
    // Unsigned (v1) files open once more, to be signed when saved.
    const trust = { ...deployTrust(target, signers, recipientsDisplay), allowUnsigned: true };
    const opened = exists ? await openSealedPath(target, identities, trust) : undefined;
    const original = opened
      ? decodeUtf8(opened.plaintext, target.display)
      : target.name === null
        ? newSecretsTemplate(opts.env)
        : "";
    const unsigned = opened?.provenance.version === 1;
    if (unsigned) log(`${target.display} is not signed (format v1, from an older batou): saving signs it.`);
    const signer = await sealer.signer(); // a passphrase is asked before the editor runs, not after
    tempDir = mkdtempSync(join(tmpdir(), "batou-secrets-"));
    const file = join(tempDir, target.name ?? "secrets.toml");
    writeFileSync(file, original, { mode: 0o600 });
    for (;;) {
      editing = true;
      const status = await runEditor(editor, file);
      editing = false;
      if (status !== 0) {
        throw new SecretsError(`editor \`${editor}\` exited with status ${status}; ${target.display} is unchanged`);
      }
      const edited = readFileSync(file, "utf8");
      if (edited === original && !unsigned) {
        log(`No changes; ${target.display} ${exists ? "is unchanged" : "was not created"}.`);
        return "unchanged";
      }
      if (target.name === null) {
        const check = await checkSecretsToml(edited, target.display, opts, interactive, log);
        if (check === "invalid") {
          if (interactive && (await confirm("Edit again?"))) continue;
          log(`Discarded your edit; ${target.display} is unchanged.`);
          return "discarded";
        }
        if (check === "misfit" && interactive && (await confirm("Edit again? (no: save it as it is)"))) continue;
      }
      if (needsSigningKey(recipients, sealer)) log(recordSigningKey(recipientsPath(dir), recipientsDisplay, sealer));
      writeSealed(target.path, seal(new TextEncoder().encode(edited), recipients, signer, target.binding));
      const what = edited === original ? "Signed" : exists ? "Updated" : "Created";
      log(`${what} ${target.display} (sealed to ${recipients.length} recipient(s), signed by ${describeRecipient(sealer)}).`);
      return "saved";
    }
  } finally {
    cleanup();
    for (const [signal, handler] of handlers) process.off(signal as NodeJS.Signals, handler);
    process.off("exit", cleanup);
  }
}

/**
 * Checks an edited secrets.toml: `"invalid"` (not secrets TOML: it cannot be saved; without
 * a terminal this throws), `"misfit"` (valid, but keys the model does not know, listed
 * with the known names) or `"ok"`. Warns about values output masking cannot protect.
 */
async function checkSecretsToml(
  edited: string,
  display: string,
  opts: EditOptions,
  interactive: boolean,
  log: (line: string) => void,
): Promise<"ok" | "misfit" | "invalid"> {
  let doc: SecretsDocument;
  try {
    doc = parseSecretsToml(edited, `${display} (your edit)`);
  } catch (error) {
    if (!(error instanceof SecretsError)) throw error;
    if (!interactive) throw new SecretsError(`${error.message}\nNothing was saved; ${display} is unchanged.`);
    printError(error, { write: (line) => process.stderr.write(`${line}\n`), colors: pc.createColors(colorWanted(process.stderr)) });
    return "invalid";
  }
  for (const warning of weakSecretValues(doc)) log(`Warning: ${warning}.`);
  const problems = await modelProblems(opts.projectRoot, opts.env, doc);
  for (const problem of problems) log(`Warning: ${problem}.`);
  return problems.length ? "misfit" : "ok";
}
