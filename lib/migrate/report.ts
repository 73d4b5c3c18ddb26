/**
 * What a migration did, per file: what was converted, what needs a hand, and the
 * commands to run next. Printed as text, or as one JSON document with `--json`.
 */

export interface FileReport {
  /** The batou file, relative to the project (`environments/prod/environment.cfg`). */
  source: string;
  /** What was written for it, relative to the output folder; none when nothing was. */
  outputs: string[];
  /** What carried over, one line each (`line 3: [hosts] web1 → [hosts.web1]`). */
  converted: string[];
  /** What the user must look at or do, one line each. */
  hand: string[];
}

export interface MigrationReport {
  project: string;
  out: string;
  dryRun: boolean;
  files: FileReport[];
  /** Commands to run next. */
  next: string[];
}

/** A report entry for `source`, to be filled. */
export function fileReport(source: string): FileReport {
  return { source, outputs: [], converted: [], hand: [] };
}

/** The report as text: one block per file, then the next commands. */
export function reportText(report: MigrationReport): string {
  const lines: string[] = [];
  const verb = report.dryRun ? "would write" : "wrote";
  for (const file of report.files) {
    const outputs = file.outputs.length ? ` → ${file.outputs.join(", ")}` : "";
    const state = file.hand.length ? ` (${file.hand.length} to do by hand)` : "";
    lines.push(`${file.source}${outputs}${state}`);
    for (const c of file.converted) lines.push(`  ✓ ${c}`);
    for (const h of file.hand) lines.push(`  ! ${h}`);
  }
  const written = report.files.reduce((n, f) => n + f.outputs.length, 0);
  const todo = report.files.reduce((n, f) => n + f.hand.length, 0);
  lines.push("");
  lines.push(`batou migrate-python: ${verb} ${written} file(s) in ${report.out}; ${todo} thing(s) to do by hand (marked ! above${todo ? ", and TODO(migrate) in component.ts files" : ""})`);
  for (const command of report.next) lines.push(`next: ${command}`);
  return lines.join("\n");
}
