/** `batou secrets summary [--json]`: the project's environments, recipients and sealed files, as text or JSON. */
import pc from "picocolors";
import { colorWanted, escapeForTerminal } from "../../terminal.ts";
import { findProjectRoot } from "../../project-root.ts";
import { type EnvironmentSummary, secretsSummary } from "../../secrets/summary.ts";
import { defineCommand } from "../command.ts";

type Colors = ReturnType<typeof pc.createColors>;

/** The text form: every name, comment and message escaped before it is coloured. */
export function summaryLines(environments: EnvironmentSummary[], c: Colors): string[] {
  const e = escapeForTerminal;
  const lines: string[] = [];
  const problem = (message: string) => lines.push(`    ${c.red(`! ${e(message)}`)}`);
  for (const env of environments) {
    lines.push(c.bold(e(env.name)));
    if (env.recipientsFile === undefined) {
      lines.push("  no secrets (single-file environment)", "");
      continue;
    }
    lines.push(`  recipients (${e(env.recipientsFile)}):`);
    if (env.recipientsProblem !== undefined) problem(env.recipientsProblem);
    else if (env.recipients.length === 0) lines.push("    (none)");
    for (const r of env.recipients) lines.push(`    - ${r.fingerprint}  ${e(r.comment) || "(no comment)"}  ${c.dim(r.type)}`);
    lines.push("  secret files:");
    if (env.files.length === 0) lines.push("    (none)");
    for (const file of env.files) {
      const label = file.name === null ? "secrets.toml (overrides and host data)" : e(file.name);
      if (file.recipients === undefined) lines.push(`    - ${label}`);
      else {
        const signed = file.signer ? `, signed by ${file.signer.fingerprint}${file.signer.comment ? ` ${e(file.signer.comment)}` : ""}` : "";
        const note = file.stale ? c.yellow("  (recipients differ: run batou secrets reencrypt)") : "";
        lines.push(`    - ${label}  ${c.dim(`${file.recipients} recipient(s)${signed}`)}${note}`);
      }
      if (file.problem !== undefined) problem(file.problem);
    }
    lines.push("");
  }
  if (lines.length === 0) lines.push("No environments found.");
  return lines;
}

export const summaryCommand = defineCommand({
  name: "summary",
  summary: "environments, recipients and secret files",
  description: `Lists every environment with its recipients (fingerprint, comment, key type)
and its sealed files (how many recipients each is sealed for, who signed it, and
whether that differs from the recipients file). Needs no key. Exits 1 when a
recipients file or a sealed file cannot be read, or a deployment would refuse a
file (unsigned, signed by a non-recipient, copied from elsewhere).`,
  options: { json: { type: "boolean", help: 'one JSON object: {"ok":BOOL,"environments":[...]}' } },
  async run({ options }) {
    const { environments, ok } = secretsSummary(findProjectRoot());
    if (options.json) process.stdout.write(JSON.stringify({ ok, environments }) + "\n");
    else process.stdout.write(summaryLines(environments, pc.createColors(colorWanted(process.stdout))).join("\n").trimEnd() + "\n");
    return ok ? 0 : 1;
  },
});
