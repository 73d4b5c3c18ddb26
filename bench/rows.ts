/**
 * `bun bench/rows.ts ROW...`: runs single rows of `bun run bench` and prints
 * them as the Markdown tables docs/benchmarks.md has, without writing it (the
 * machine is shared: measure what you changed, run the whole bench rarely).
 *
 *   rtt       the scenario behind delayproxy at 0, 50, 100 ms RTT (BENCH_RTTS="0,50,100"), both clients, beside parallel `ssh true`
 *   memory    the agent's peak memory (VmHWM) at 100, 1,000, 10,000 files
 *   scaling   the no-op at 20 and 50 hosts (BENCH_HOSTS="20,50"), both clients, beside parallel `ssh true`
 *   batou     Python batou (bench-peers) at 0, 50, 100 ms RTT
 *
 * Env: BENCH_RUNS (default 3), BENCH_WORK, BATOU_TS_TESTHOSTS_DIR (bench/env.ts).
 */
import "./env.ts";
import { mkdirSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { startTestbed } from "../tests/testbed/testbed.ts";
import { benchMemory, reportMemory } from "./memory.ts";
import { stopPeerHosts } from "./peers.ts";
import { benchScaling, reportScaling } from "./remote.ts";
import { table } from "./report.ts";
import { batouAtRtts, benchRtt, rttTable, rttVerdicts } from "./rtt.ts";

const REPO = new URL("..", import.meta.url).pathname;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const WORK = process.env.BENCH_WORK ?? "/tmp/batou-ts-bench";
/** A large RTT (1000 ms) counts round trips despite a loaded machine: its noise is then a fraction of one. */
const RTT_LIST = (process.env.BENCH_RTTS ?? "0,50,100").split(",").map(Number);
const ROWS = ["rtt", "memory", "scaling", "batou"];
const rows = process.argv.slice(2);
if (!rows.length || rows.some((row) => !ROWS.includes(row))) {
  console.error(`usage: bun bench/rows.ts ${ROWS.join("|")} ...`);
  process.exit(2);
}
mkdirSync(WORK, { recursive: true });
const EXE = join(WORK, "batou");
const build = Bun.spawnSync([process.execPath, "scripts/build.ts", "--outfile", EXE], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
if (build.exitCode !== 0) throw new Error(build.stderr.toString());

for (const row of rows) {
  const load = loadavg()[0]!.toFixed(1);
  console.log(`\n== ${row} (${RUNS} runs, load average ${load} at the start) ==`);
  if (row === "rtt") {
    const tb = await startTestbed(5);
    const series = await benchRtt(EXE, WORK, tb, tb.hosts.slice(0, 5), RUNS, ["ssh2", "openssh"], RTT_LIST);
    console.log(`\n${rttTable(series, RTT_LIST)}\n${rttVerdicts(series, Math.max(...RTT_LIST))}`);
  } else if (row === "memory") {
    const tb = await startTestbed(1);
    reportMemory(await benchMemory(EXE, WORK, tb, tb.hosts[0]!));
    console.log(`\n${table("memory")}`);
  } else if (row === "batou") {
    const series = await batouAtRtts(WORK, RUNS, undefined, (note) => console.log(`SKIP ${note}`), RTT_LIST);
    stopPeerHosts(join(WORK, "peer-hosts")); // bench-peers' own test bed instance
    console.log(`\n${rttTable(series, RTT_LIST)}`);
  } else {
    const counts = (process.env.BENCH_HOSTS ?? "20,50").split(",").map(Number);
    reportScaling(await benchScaling(EXE, WORK, RUNS, counts, counts, (n, error) => console.log(`${n} hosts failed: ${error.message}`)));
    console.log(`\n${table("scaling")}\n${table("cpu")}`);
  }
  console.log(`(load average ${loadavg()[0]!.toFixed(1)} at the end)`);
}
