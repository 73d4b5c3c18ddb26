/**
 * Recipient management: `add`, `remove` and `reencrypt`. Every change first opens all
 * files that must change (so a user who cannot read them changes nothing), then writes
 * the recipients file, then the re-sealed files (each atomically), under the
 * environment's secrets lock.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { SecretsError, UntrustedError } from "./secrets-error.ts";
import { parseSealed, rewrap, rewrapPlan, type SealedFile } from "./format.ts";
import { lockSecrets } from "./edit-lock.ts";
import { environmentDir, recipientsPath, type SealedPath, sealedPaths, selectEnvironments } from "./paths.ts";
import { checkProvenance } from "./provenance.ts";
import { describeRecipient, parsePublicKey, readRecipients, type RecipientLine } from "./recipients.ts";
import { needsSigningKey, recordSigningKey, sealerIdentity, withSealerSigningKey } from "./sealer.ts";
import { deployTrust, type IdentitySource, lazyIdentities, openSealedPath, writeSealed } from "./store.ts";
import type { Recipient } from "./types.ts";
import { printLine } from "../terminal.ts";

/** Options shared by the management functions. */
export interface ManageOptions {
  /** Identities to open files with (default: {@link loadIdentities}, lazily). */
  identities?: IdentitySource;
  /** Receives one line per action (default: stdout, escaped for the terminal). */
  log?: (line: string) => void;
}

interface EnvContext {
  projectRoot: string;
  env: string;
  dir: string;
  recipientsFile: string;
  recipientsDisplay: string;
}

function contexts(projectRoot: string, list: string | undefined, log: (l: string) => void): EnvContext[] {
  const explicit = Boolean(list?.trim());
  const out: EnvContext[] = [];
  for (const env of selectEnvironments(projectRoot, list)) {
    const dir = environmentDir(projectRoot, env);
    if (!dir) {
      const msg = `environment ${env} is a single file (environments/${env}.toml) and cannot hold secrets; move it to environments/${env}/environment.toml`;
      if (explicit) throw new SecretsError(msg);
      log(`${env}: skipped (single-file environment, no secrets)`);
      continue;
    }
    out.push({ projectRoot, env, dir, recipientsFile: recipientsPath(dir), recipientsDisplay: `environments/${env}/recipients` });
  }
  return out;
}

/** Why a file that is acceptable as it is must still be signed again, or undefined. */
function resignReason(sealed: SealedFile, file: SealedPath, recipients: Recipient[], recipientsFile: string): string | undefined {
  if (sealed.version === 1) return "it was not signed (format v1)";
  try {
    checkProvenance(sealed, file.display, deployTrust(file, recipients, recipientsFile));
    return undefined;
  } catch (error) {
    if (!(error instanceof UntrustedError)) throw error;
    return `its signer ${describeRecipient(sealed.signer)} may not sign for it`;
  }
}

/**
 * Re-seals the environment's files for `next` (the recipients after the change; `current`
 * is the recipients file as it is now). Files are opened as a deployment would accept
 * them, except that unsigned (v1) files are accepted so that they are signed now, and
 * with `force` also files signed by someone who is no longer a recipient. Unchanged
 * recipient sets are left byte-identical unless `force` or the file must be signed
 * again. `beforeWrite` runs after every file was opened and before anything is written.
 * Returns how many files were rewritten.
 */
async function resealEnvironment(
  ctx: EnvContext,
  current: RecipientLine[],
  next: Recipient[],
  force: boolean,
  opts: ManageOptions,
  beforeWrite?: () => void,
): Promise<number> {
  const log = opts.log ?? printLine;
  const getIdentities = lazyIdentities(opts.identities);
  const files = sealedPaths(ctx.projectRoot, ctx.dir);
  if (files.length && next.length === 0) {
    throw new SecretsError(`${ctx.recipientsDisplay}: no recipients; refusing to seal ${files[0].display} to nobody`);
  }
  const writes: { path: string; text: string; line: string }[] = [];
  // A missing identity or sealer matters only when a file must be written (then it is an error).
  const available = files.length ? await getIdentities().catch(() => []) : [];
  const sealer = available.find((id) => next.some((r) => r.fingerprint === id.fingerprint));
  const signers = sealer ? withSealerSigningKey(next, sealer) : next;
  for (const file of files) {
    const sealed = parseSealed(readFileSync(file.path, "utf8"), file.display);
    const reason = resignReason(sealed, file, signers, ctx.recipientsDisplay);
    const plan = rewrapPlan(sealed, next, { force, resign: reason !== undefined });
    if (plan === "unchanged") {
      log(`${file.display}: unchanged`);
      continue;
    }
    const currentSigners = sealer ? withSealerSigningKey(current, sealer) : current;
    const trust = { ...deployTrust(file, currentSigners, ctx.recipientsDisplay), allowUnsigned: true, allowUnlistedSigner: force };
    const mine = await getIdentities();
    const after = next === current ? ctx.recipientsDisplay : `${ctx.recipientsDisplay} after this change`;
    const signer = await sealerIdentity(mine, next, after).signer();
    const opened = await openSealedPath(file, mine, trust);
    const text = rewrap(opened, plan, next, signer, file.binding);
    if (text === null) continue;
    const how = { add: "sealed to the new recipients (same key)", rekey: "re-encrypted with a new key", resign: "signed again (same key)" }[plan];
    writes.push({ path: file.path, text, line: `${file.display}: ${how}${reason ? `: ${reason}` : ""}` });
  }
  beforeWrite?.();
  if (writes.length && sealer && needsSigningKey(readRecipients(ctx.recipientsFile, ctx.recipientsDisplay), sealer)) {
    log(recordSigningKey(ctx.recipientsFile, ctx.recipientsDisplay, sealer));
  }
  for (const w of writes) {
    writeSealed(w.path, w.text);
    log(w.line);
  }
  return writes.length;
}

async function withLock<T>(ctx: EnvContext, purpose: string, fn: () => Promise<T>): Promise<T> {
  const lock = lockSecrets(ctx.dir, purpose, ctx.projectRoot);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

/**
 * Reads a key argument: a public key line, or the path of a file holding one
 * (e.g. `~/.ssh/id_ed25519.pub`). Returns the key line.
 */
export function keyArgument(text: string): string {
  const trimmed = text.trim();
  if (!/^(ssh-|batou-)/.test(trimmed) && existsSync(trimmed)) {
    const line = readFileSync(trimmed, "utf8").split(/\r?\n/).find((l) => l.trim() && !l.trim().startsWith("#"));
    if (!line) throw new SecretsError(`${trimmed}: expected a public key line in it`);
    return line.trim();
  }
  return trimmed;
}

/** Adds the public key `keyLine` to the recipients of `environments` (comma list; empty: all). */
export async function addRecipient(
  projectRoot: string,
  keyLine: string,
  environments?: string,
  opts: ManageOptions = {},
): Promise<void> {
  const log = opts.log ?? printLine;
  const key = parsePublicKey(keyLine, "the key to add");
  for (const ctx of contexts(projectRoot, environments, log)) {
    await withLock(ctx, `batou secrets add (${ctx.env})`, async () => {
      const current = readRecipients(ctx.recipientsFile, ctx.recipientsDisplay);
      if (current.some((r) => r.fingerprint === key.fingerprint)) {
        log(`${ctx.env}: ${describeRecipient(key)} is a recipient already`);
        return;
      }
      await resealEnvironment(ctx, current, [...current, key], false, opts, () => {
        const old = existsSync(ctx.recipientsFile) ? readFileSync(ctx.recipientsFile, "utf8") : "";
        writeFileSync(ctx.recipientsFile, `${old}${old && !old.endsWith("\n") ? "\n" : ""}${keyLine.trim()}\n`);
        log(`${ctx.recipientsDisplay}: added ${describeRecipient(key)}`);
      });
    });
  }
}

/** Which recipient lines `spec` (a key line, a fingerprint or an exact comment) means. */
function matching(lines: RecipientLine[], spec: string): RecipientLine[] {
  let fp: string | undefined;
  try {
    fp = parsePublicKey(spec, "the key to remove").fingerprint;
  } catch {
    fp = /^[A-Za-z0-9+/]{22}$/.test(spec.trim()) ? spec.trim() : undefined;
  }
  return lines.filter((r) => r.fingerprint === fp || (fp === undefined && r.comment === spec.trim()));
}

/**
 * Removes a recipient (`spec`: its key line, fingerprint or comment) from `environments`
 * (comma list; empty: all) and re-encrypts their files with a new key, so the removed
 * key can no longer open them. Fails when no selected environment had it.
 */
export async function removeRecipient(
  projectRoot: string,
  spec: string,
  environments?: string,
  opts: ManageOptions = {},
): Promise<void> {
  const log = opts.log ?? printLine;
  let found = 0;
  for (const ctx of contexts(projectRoot, environments, log)) {
    await withLock(ctx, `batou secrets remove (${ctx.env})`, async () => {
      const current = readRecipients(ctx.recipientsFile, ctx.recipientsDisplay);
      const gone = matching(current, spec);
      if (gone.length === 0) {
        log(`${ctx.env}: not a recipient`);
        return;
      }
      found++;
      const goneFps = new Set(gone.map((r) => r.fingerprint));
      const remaining = current.filter((r) => !goneFps.has(r.fingerprint));
      await resealEnvironment(ctx, current, remaining, false, opts, () => {
        const lines = readFileSync(ctx.recipientsFile, "utf8").split("\n");
        const keep = lines.filter((line) => {
          const t = line.trim();
          return !t || t.startsWith("#") || !goneFps.has(parsePublicKey(t, ctx.recipientsDisplay).fingerprint);
        });
        writeFileSync(ctx.recipientsFile, keep.join("\n"));
        for (const r of gone) log(`${ctx.recipientsDisplay}: removed ${describeRecipient(r)}`);
      });
    });
  }
  if (found === 0) throw new SecretsError(`${spec.trim()} is not a recipient of any selected environment`);
}

/**
 * Re-seals the files of `environments` (comma list; empty: all) whose recipients differ
 * from the recipients file; with `force`, every file gets a new key.
 */
export async function reencrypt(
  projectRoot: string,
  environments?: string,
  force = false,
  opts: ManageOptions = {},
): Promise<void> {
  const log = opts.log ?? printLine;
  for (const ctx of contexts(projectRoot, environments, log)) {
    await withLock(ctx, `batou secrets reencrypt (${ctx.env})`, async () => {
      const recipients = readRecipients(ctx.recipientsFile, ctx.recipientsDisplay);
      await resealEnvironment(ctx, recipients, recipients, force, opts);
    });
  }
}
