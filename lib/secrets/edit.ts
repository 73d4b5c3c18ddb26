/**
 * `batou secrets edit ENV [NAME]`: decrypts into a private temp folder (0700, removed on
 * every exit path including signals), runs `$EDITOR` (else `vi`), checks the result and
 * seals it again, all under the environment's secrets lock.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newSecretsTemplate, parseSecretsToml, weakSecretValues } from "./cleartext.ts";
import { SecretsError } from "./secrets-error.ts";
import { seal } from "./format.ts";
import { lockSecrets } from "./edit-lock.ts";
import { environmentDir, recipientsPath, sealedPath } from "./paths.ts";
import { readRecipients } from "./recipients.ts";
import { decodeUtf8, type IdentitySource, lazyIdentities, openSealedPath, writeSealed } from "./store.ts";
import { canPrompt, confirm } from "../terminal.ts";

/** What {@link editSecrets} needs. */
export interface EditOptions {
  projectRoot: string;
  env: string;
  /** A secret file's name (`secret-NAME.nacl`); absent: `secrets.toml.nacl`. */
  name?: string | null;
  /** Shell command of the editor; default `$EDITOR`, else `vi`. The file path is appended. */
  editor?: string;
  identities?: IdentitySource;
  /** Offer to edit again after invalid TOML; default: stdin is a terminal. */
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
 * Edits one sealed file of an environment. A missing file is created. Invalid
 * secrets TOML is reported with its line; on a terminal the user may edit again,
 * otherwise it fails and the sealed file stays as it was. Cleartext exists only in
 * memory and in the private temp folder while the editor runs.
 */
export async function editSecrets(opts: EditOptions): Promise<EditOutcome> {
  const log = opts.log ?? console.log;
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
  const getIdentities = lazyIdentities(opts.identities);

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
    const original = exists
      ? decodeUtf8((await openSealedPath(target, await getIdentities())).plaintext, target.display)
      : target.name === null
        ? newSecretsTemplate(opts.env)
        : "";
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
      if (edited === original) {
        log(`No changes; ${target.display} ${exists ? "is unchanged" : "was not created"}.`);
        return "unchanged";
      }
      if (target.name === null) {
        try {
          const doc = parseSecretsToml(edited, `${target.display} (your edit)`);
          for (const warning of weakSecretValues(doc)) log(`Warning: ${warning}.`);
        } catch (error) {
          if (!(error instanceof SecretsError)) throw error;
          if (!interactive) throw new SecretsError(`${error.message}\nNothing was saved; ${target.display} is unchanged.`);
          process.stderr.write(`${error.message}\n`);
          if (await confirm("Edit again?")) continue;
          log(`Discarded your edit; ${target.display} is unchanged.`);
          return "discarded";
        }
      }
      writeSealed(target.path, seal(new TextEncoder().encode(edited), recipients));
      log(`${exists ? "Updated" : "Created"} ${target.display} (sealed to ${recipients.length} recipient(s)).`);
      await warnIfNotARecipient(getIdentities, recipients, target.display, log);
      return "saved";
    }
  } finally {
    cleanup();
    for (const [signal, handler] of handlers) process.off(signal as NodeJS.Signals, handler);
    process.off("exit", cleanup);
  }
}

async function warnIfNotARecipient(
  getIdentities: () => Promise<{ fingerprint: string }[]>,
  recipients: { fingerprint: string }[],
  display: string,
  log: (line: string) => void,
): Promise<void> {
  const mine = await getIdentities().catch(() => []);
  if (mine.length && !mine.some((id) => recipients.some((r) => r.fingerprint === id.fingerprint))) {
    log(`Note: none of your identities is a recipient; you cannot open ${display} yourself.`);
  }
}
