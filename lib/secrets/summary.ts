/** `batou secrets summary`: environments, their recipients and sealed files (no decryption needed). */
import { readFileSync } from "node:fs";
import { SecretsError } from "./secrets-error.ts";
import { parseSealed, rewrapPlan } from "./format.ts";
import { environmentNames } from "../engine/environment-file.ts";
import { environmentDir, recipientsPath, sealedPaths } from "./paths.ts";
import { checkProvenance } from "./provenance.ts";
import { readRecipients } from "./recipients.ts";
import { deployTrust } from "./store.ts";

/** One sealed file of an environment. */
export interface SealedFileSummary {
  /** `null` for secrets.toml.nacl (overrides and host data), else the secret file's name. */
  name: string | null;
  /** Path relative to the project. */
  path: string;
  /** How many recipients the file is sealed for (absent when it cannot be read). */
  recipients?: number;
  /** Who signed it (format v2; absent for an unsigned v1 file). */
  signer?: { fingerprint: string; comment: string };
  /** Sealed for other recipients than the recipients file lists: `batou secrets reencrypt` fixes it. */
  stale?: boolean;
  /** Why the file cannot be read, or why a deployment would refuse it. */
  problem?: string;
}

/** One environment: a single-file environment has no secrets (`recipientsFile` absent). */
export interface EnvironmentSummary {
  name: string;
  /** Path relative to the project; absent for a single-file environment. */
  recipientsFile?: string;
  recipients: { fingerprint: string; comment: string; type: string }[];
  /** Why the recipients file cannot be read. */
  recipientsProblem?: string;
  files: SealedFileSummary[];
}

/**
 * Describes every environment of the project. Problems (malformed recipients,
 * corrupt files, files a deployment would refuse: unsigned, signed by a
 * non-recipient, copied from elsewhere) are part of the result; `ok` is false
 * when there were any. Signatures need no key, so this checks everything but
 * decryption.
 */
export function secretsSummary(projectRoot: string): { environments: EnvironmentSummary[]; ok: boolean } {
  let ok = true;
  const environments = environmentNames(projectRoot).map((name): EnvironmentSummary => {
    const dir = environmentDir(projectRoot, name);
    if (!dir) return { name, recipients: [], files: [] };
    const recipientsFile = `environments/${name}/recipients`;
    const summary: EnvironmentSummary = { name, recipientsFile, recipients: [], files: [] };
    let recipients: ReturnType<typeof readRecipients> = [];
    try {
      recipients = readRecipients(recipientsPath(dir), recipientsFile);
      summary.recipients = recipients.map((r) => ({ fingerprint: r.fingerprint, comment: r.comment, type: r.type }));
    } catch (error) {
      ok = false;
      summary.recipientsProblem = (error as Error).message;
    }
    for (const file of sealedPaths(projectRoot, dir)) {
      const entry: SealedFileSummary = { name: file.name, path: file.display };
      summary.files.push(entry);
      try {
        const sealed = parseSealed(readFileSync(file.path, "utf8"), file.display);
        entry.recipients = sealed.stanzas.length;
        if (sealed.version === 2) entry.signer = { fingerprint: sealed.signer.fingerprint, comment: sealed.signer.comment };
        entry.stale = recipients.length > 0 && rewrapPlan(sealed, recipients) !== "unchanged";
        if (summary.recipientsProblem === undefined) checkProvenance(sealed, file.display, deployTrust(file, recipients, recipientsFile));
        // without the recipients, the signer can be neither trusted nor blamed
        else entry.problem = `${file.display}: cannot check who sealed it: ${recipientsFile} cannot be read (see above)`;
      } catch (error) {
        if (!(error instanceof SecretsError)) throw error;
        ok = false;
        entry.problem = error.message;
      }
    }
    return summary;
  });
  return { environments, ok };
}
