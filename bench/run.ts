/**
 * `bun run bench`: runs the benchmark scenarios, prints each figure beside
 * its goal, and writes docs/benchmarks.md. Asserts nothing about time.
 */
import { existsSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { benchConfigure, benchNoopDeploy, benchStartup } from "./local.ts";
import { type Summary, summarize } from "./stats.ts";

const REPO = new URL("..", import.meta.url).pathname;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

interface Row {
  scenario: string;
  summary?: Summary;
  goal: string;
  note?: string;
}

const rows: Row[] = [];
function report(row: Row): void {
  rows.push(row);
  const figure = row.summary ? `${row.summary.median.toFixed(3)} s (min ${row.summary.min.toFixed(3)}, max ${row.summary.max.toFixed(3)}, ${row.summary.runs} runs)` : row.note;
  console.log(`${row.scenario.padEnd(44)} ${figure}   goal: ${row.goal}`);
}

if (!existsSync(`${REPO}/dist/batou`)) Bun.spawnSync([process.execPath, "run", "build"], { cwd: REPO, stdout: "inherit" });

report({ scenario: "configure 1,000 components", summary: summarize(await benchConfigure(RUNS)), goal: "≤ 0.5 s" });
report({
  scenario: "local no-op deploy, 1,000 files (bun batou.ts)",
  summary: summarize(await benchNoopDeploy(RUNS, [process.execPath, `${REPO}/batou.ts`])),
  goal: "≤ 1 s",
});
report({
  scenario: "local no-op deploy, 1,000 files (dist/batou)",
  summary: summarize(await benchNoopDeploy(RUNS, [`${REPO}/dist/batou`])),
  goal: "≤ 1 s",
});
report({ scenario: "dist/batou --version", summary: summarize(await benchStartup(RUNS * 4, `${REPO}/dist/batou`)), goal: "< 100 ms" });

const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${process.platform} ${process.arch}, Bun ${Bun.version}`;
const table = rows
  .map((row) =>
    row.summary
      ? `| ${row.scenario} | ${row.summary.median.toFixed(3)} s | ${row.summary.min.toFixed(3)}–${row.summary.max.toFixed(3)} s | ${row.summary.runs} | ${row.goal} |`
      : `| ${row.scenario} | – | – | – | ${row.goal} (${row.note}) |`,
  )
  .join("\n");
writeFileSync(
  `${REPO}/docs/benchmarks.md`,
  `# Benchmarks

Written by \`bun run bench\` on ${new Date().toISOString().slice(0, 10)}; machine: ${machine}.
Medians of ${RUNS} runs after one warm-up (start-up: ${RUNS * 4} runs); "spread" is min–max.

| scenario | median | spread | runs | goal |
|---|---|---|---|---|
${table}
`,
);
console.log("wrote docs/benchmarks.md");
