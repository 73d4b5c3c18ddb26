/**
 * Reading an environment's secrets for a deployment ({@link loadSecrets}) and writing
 * sealed files safely ({@link writeSealed}).
 */
import { readFileSync } from "node:fs";
import { writeFileAtomic } from "../engine/atomic-file.ts";
import { collectSecretValues, parseSecretsToml } from "./cleartext.ts";
import { SecretsError } from "./secrets-error.ts";
import { type OpenedFile, openSealed, parseSealed, rewrapPlan } from "./format.ts";
import { loadIdentities } from "./identities.ts";
import { environmentDir, recipientsPath, type SealedPath, sealedPaths } from "./paths.ts";
import { readRecipients } from "./recipients.ts";
import { checkProvenance, type TrustPolicy } from "./provenance.ts";
import { editLockHolder } from "./edit-lock.ts";
import type { Identity, Recipient } from "./types.ts";

/** An environment's decrypted secrets, ready to merge into the model. */
export interface Secrets {
  /** `[components.NAME]` overrides. */
  components: Record<string, Record<string, unknown>>;
  /** `[hosts.NAME.data]` host data. */
  hosts: Record<string, { data: Record<string, unknown> }>;
  /** `secret-NAME.nacl` contents (UTF-8) by NAME → `environment.secretFiles`. */
  files: Record<string, string>;
  /** Every secret string value and every non-blank line of secret files: never print these. */
  values: string[];
  /** Non-fatal findings, e.g. files whose recipients differ from the recipients file. */
  warnings: string[];
}

/** Where identities come from: a list, or a function called only when something must be decrypted. */
export type IdentitySource = Identity[] | (() => Identity[] | Promise<Identity[]>);

/** Resolves an {@link IdentitySource} once, lazily; defaults to {@link loadIdentities}. */
export function lazyIdentities(source?: IdentitySource): () => Promise<Identity[]> {
  let cached: Promise<Identity[]> | undefined;
  return () => {
    if (!cached) {
      cached = Promise.resolve().then(() =>
        Array.isArray(source) ? source : source ? source() : loadIdentities(),
      );
    }
    return cached;
  };
}

/**
 * What a deployment accepts from a sealed file at `sealed`: sealed for exactly this place
 * and signed by one of `recipients` (the environment's recipients file).
 */
export function deployTrust(sealed: SealedPath, recipients: Recipient[], recipientsFile: string): TrustPolicy {
  return { binding: sealed.binding, signers: recipients, signersFile: recipientsFile };
}

/** Reads and opens one sealed file under `trust`; errors name `sealed.display`. */
export async function openSealedPath(sealed: SealedPath, identities: Identity[], trust: TrustPolicy): Promise<OpenedFile> {
  return openSealed(readFileSync(sealed.path, "utf8"), identities, sealed.display, trust);
}

/**
 * Writes `text` to `path` atomically (a temp file beside it, then rename), so an
 * interrupted write never leaves a half-written sealed file.
 */
export function writeSealed(path: string, text: string): void {
  writeFileAtomic(path, text, { mode: 0o644 });
}

/**
 * Loads the secrets of environment `env` in the project at `projectRoot`.
 *
 * Identities are used only when the environment has sealed files: pass a list (or a
 * function returning one); by default they come from `BATOU_IDENTITY` / `~/.ssh/id_ed25519`
 * ({@link loadIdentities}), asking for passphrases when needed. An environment without
 * secrets (a single `<env>.toml`, or a folder without sealed files) gives empty results.
 *
 * Every sealed file must be signed by a recipient and sealed for its place
 * ({@link deployTrust}), checked before any key is used. Throws a {@link SecretsError}
 * naming the file: unknown environment, malformed recipients, a tampered, unsigned,
 * foreign-signed or moved file, no identity can open it, or cleartext that is not valid
 * secrets TOML.
 */
export async function loadSecrets(projectRoot: string, env: string, identities?: IdentitySource): Promise<Secrets> {
  // Null-prototype maps: a secret file may be called "__proto__" or "constructor".
  const result: Secrets = { components: Object.create(null), hosts: Object.create(null), files: Object.create(null), values: [], warnings: [] };
  const dir = environmentDir(projectRoot, env);
  if (!dir) return result;
  const sealedFiles = sealedPaths(projectRoot, dir);
  if (sealedFiles.length === 0) return result;
  const recipientsFile = `environments/${env}/recipients`;
  const recipients = readRecipients(recipientsPath(dir), recipientsFile);
  const editing = editLockHolder(dir);
  if (editing) {
    result.warnings.push(
      `the secrets of environments/${env} are being edited by ${editing}: this deployment uses the sealed files as they are now`,
    );
  }
  // Every file is checked (no key needed) before any is decrypted, or a passphrase asked.
  const checked = sealedFiles.map((sealed) => {
    const parsed = parseSealed(readFileSync(sealed.path, "utf8"), sealed.display);
    const trust = deployTrust(sealed, recipients, recipientsFile);
    checkProvenance(parsed, sealed.display, trust);
    if (recipients.length && rewrapPlan(parsed, recipients) !== "unchanged") {
      result.warnings.push(
        `${sealed.display} is sealed to other recipients than ${recipientsFile}; run \`batou secrets reencrypt --environments ${env}\``,
      );
    }
    return { sealed, parsed, trust };
  });
  const getIdentities = lazyIdentities(identities);
  const values = new Set<string>();
  for (const { sealed, parsed, trust } of checked) {
    const opened = await openSealed(parsed, await getIdentities(), sealed.display, trust);
    const cleartext = decodeUtf8(opened.plaintext, sealed.display);
    if (sealed.name === null) {
      const doc = parseSecretsToml(cleartext, `${sealed.display} (decrypted)`);
      result.components = doc.components;
      result.hosts = doc.hosts;
      collectSecretValues(doc.components, values);
      collectSecretValues(doc.hosts, values);
    } else {
      result.files[sealed.name] = cleartext;
      for (const line of cleartext.split(/\r?\n/)) if (line.trim()) values.add(line);
    }
  }
  result.values = [...values].sort((a, b) => b.length - a.length);
  return result;
}

/** Decodes UTF-8 strictly; a secret that is not text is an error naming the file. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new SecretsError(`${file}: the decrypted content is not UTF-8 text`);
  }
}
