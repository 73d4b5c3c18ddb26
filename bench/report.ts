/**
 * Collects benchmark figures, prints each beside its goal, and renders
 * docs/benchmarks.md. Goals are shown, never asserted.
 */
import type { Summary } from "./stats.ts";

export interface Row {
  section: string;
  scenario: string;
  summary?: Summary;
  /** A figure that is not a time (e.g. bytes); shown instead of the summary. */
  value?: string;
  goal?: string;
  /** Upper bound in seconds for the "met" column. */
  goalSeconds?: number;
  note?: string;
}

export const rows: Row[] = [];
export const notes: string[] = [];

const fmt = (s: number) => (s < 0.1 ? `${(s * 1000).toFixed(1)} ms` : `${s.toFixed(3)} s`);

export function met(row: Row): string {
  if (!row.summary || row.goalSeconds === undefined) return "";
  return row.summary.median <= row.goalSeconds ? "met" : "**missed**";
}

export function report(row: Row): void {
  rows.push(row);
  const figure = row.summary
    ? `${fmt(row.summary.median)} (min ${fmt(row.summary.min)}, max ${fmt(row.summary.max)}, ${row.summary.runs} runs)`
    : (row.value ?? `skipped: ${row.note}`);
  const goal = row.goal ? `   goal: ${row.goal}${met(row) ? ` (${met(row).replace(/\*/g, "")})` : ""}` : "";
  const note = row.summary && row.note ? `   ${row.note.replace(/\*/g, "")}` : "";
  console.log(`${row.scenario.padEnd(58)} ${figure}${goal}${note}`);
}

/** A skip or failure: printed at once and listed in the document. */
export function skip(message: string): void {
  notes.push(message);
  console.log(`SKIP ${message}`);
}

export function table(section: string): string {
  const body = rows
    .filter((r) => r.section === section)
    .map((r) => {
      if (r.summary) {
        const s = r.summary;
        return `| ${r.scenario} | ${fmt(s.median)} | ${fmt(s.min)}–${fmt(s.max)} | ${s.runs} | ${r.goal ?? ""} | ${[met(r), r.note].filter(Boolean).join("; ")} |`;
      }
      return `| ${r.scenario} | ${r.value ?? "–"} | | | ${r.goal ?? ""} | ${r.value ? (r.note ?? "") : `skipped${r.note ? `: ${r.note}` : ""}`} |`;
    });
  if (body.length === 0) return "_not run_\n";
  return `| scenario | median | spread (min–max) | runs | goal | |\n|---|---|---|---|---|---|\n${body.join("\n")}\n`;
}

export { fmt };
