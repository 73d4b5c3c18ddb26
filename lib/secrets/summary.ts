/** `batou secrets summary`: environments, their recipients and sealed files (no decryption needed). */
import { readFileSync } from "node:fs";
import pc from "picocolors";
import { escapeForTerminal } from "../terminal.ts";
import { SecretsError } from "./secrets-error.ts";
import { parseSealed, rewrapPlan } from "./format.ts";
import { environmentNames } from "../engine/environment-file.ts";
import { environmentDir, recipientsPath, sealedPaths } from "./paths.ts";
import { checkProvenance } from "./provenance.ts";
import { describeRecipient, readRecipients } from "./recipients.ts";
import { deployTrust } from "./store.ts";

/**
 * Describes every environment of the project as text lines. Problems (malformed
 * recipients, corrupt files, files a deployment would refuse: unsigned, signed by a
 * non-recipient, copied from elsewhere) are reported inline; `ok` is false when there
 * were any. Signatures need no key, so this checks everything but decryption.
 */
export function summarize(projectRoot: string): { lines: string[]; ok: boolean } {
  const lines: string[] = [];
  let ok = true;
  const problem = (message: string) => {
    ok = false;
    lines.push(`    ${pc.red(`! ${message}`)}`);
  };
  for (const env of environmentNames(projectRoot)) {
    lines.push(pc.bold(env));
    const dir = environmentDir(projectRoot, env);
    if (!dir) {
      lines.push("  no secrets (single-file environment)", "");
      continue;
    }
    lines.push(`  recipients (environments/${env}/recipients):`);
    let recipients: ReturnType<typeof readRecipients> = [];
    try {
      recipients = readRecipients(recipientsPath(dir), `environments/${env}/recipients`);
      for (const r of recipients) lines.push(`    - ${r.fingerprint}  ${escapeForTerminal(r.comment) || "(no comment)"}  ${pc.dim(r.type)}`);
      if (recipients.length === 0) lines.push("    (none)");
    } catch (error) {
      problem((error as Error).message);
    }
    lines.push("  secret files:");
    const files = sealedPaths(projectRoot, dir);
    if (files.length === 0) lines.push("    (none)");
    for (const file of files) {
      const label = file.name === null ? "secrets.toml (overrides and host data)" : file.name;
      try {
        const sealed = parseSealed(readFileSync(file.path, "utf8"), file.display);
        const stale = recipients.length > 0 && rewrapPlan(sealed, recipients) !== "unchanged";
        const note = stale ? pc.yellow("  (recipients differ: run batou secrets reencrypt)") : "";
        const signed = sealed.version === 2 ? `, signed by ${describeRecipient(sealed.signer)}` : "";
        lines.push(`    - ${label}  ${pc.dim(`${sealed.stanzas.length} recipient(s)${signed}`)}${note}`);
        checkProvenance(sealed, file.display, deployTrust(file, recipients, `environments/${env}/recipients`));
      } catch (error) {
        if (!(error instanceof SecretsError)) throw error;
        lines.push(`    - ${label}`);
        problem(error.message);
      }
    }
    lines.push("");
  }
  if (lines.length === 0) lines.push("No environments found.");
  return { lines, ok };
}
