/**
 * `bun run bench`: runs every benchmark scenario, prints each figure beside
 * its goal, and writes docs/benchmarks.md and docs/benchmarks-scaling.svg.
 * Asserts nothing about time; exits 0 when the test bed or peers are missing
 * (they become skip lines).
 *
 *   1–3  local (bench/local.ts): configure, local no-op deploy, start-up
 *   4    the harness scenario over SSH, 5 hosts × 100 files, both SSH clients (bench/remote.ts)
 *   4b   round trips: the scenario behind delayproxy at 0, 50, 100 ms RTT, beside
 *        parallel `ssh true` and Python batou (bench/rtt.ts)
 *   4c   agent peak memory (VmHWM) at 100, 1,000, 10,000 files (bench/memory.ts)
 *   5    no-op redeploy on 1, 5, 10, 20, 50 hosts beside parallel `ssh true`, charted (bench/chart.ts)
 *   6    the original batou and Ansible through bench-peers (bench/peers.ts)
 *
 * Env: BENCH_RUNS (runs per figure, default 5; 1 with BENCH_QUICK), BENCH_QUICK=1
 * (smoke mode: 1 run, scaling 1 and 5 hosts, batou peer only, writes the
 * document under BENCH_WORK instead of docs/), BENCH_PEERS ("batou,ansible",
 * "batou", "ansible", "none"), BENCH_ANSIBLE_RUNS (default 1), BENCH_WORK
 * (default /tmp/batou-ts-bench), BENCH_SKIP_REMOTE=1.
 */
import "./env.ts"; // first: selects the benchmark's own test bed instance
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { startTestbed, stopTestbed, testbedAvailability } from "../tests/testbed/testbed.ts";
import { lineChart } from "./chart.ts";
import { benchConfigure, benchConfigureRoots, benchNoopDeploy, benchStartup } from "./local.ts";
import { benchPeers, type PeerResults, stopPeerHosts } from "./peers.ts";
import { benchMemory, type MemoryFigure, reportMemory } from "./memory.ts";
import { benchRemote, benchScaling, compareFiles, failures, FILES, type RemoteResults, reportScaling, SCALING_GOAL, type ScalingFigure } from "./remote.ts";
import { batouAtRtts, benchRtt, RTTS, type RttSeries, rttTable, rttVerdicts } from "./rtt.ts";
import { fmt, notes, report, skip, table } from "./report.ts";
import { summarize } from "./stats.ts";

const REPO = new URL("..", import.meta.url).pathname;
const QUICK = process.env.BENCH_QUICK === "1";
const RUNS = Number(process.env.BENCH_RUNS ?? (QUICK ? 1 : 5));
const FRESH_RUNS = QUICK ? 1 : RUNS;
const SCALING = QUICK ? [1, 5] : [1, 5, 10, 20, 50];
/** Host counts whose no-op is measured with OpenSSH too. */
const OPENSSH_SCALING = QUICK ? [5] : [20, 50];
const PEERS = (process.env.BENCH_PEERS ?? (QUICK ? "batou" : "batou,ansible")).split(",").map((p) => p.trim()).filter((p) => p && p !== "none");
const ANSIBLE_RUNS = Number(process.env.BENCH_ANSIBLE_RUNS ?? 1);
const WORK = process.env.BENCH_WORK ?? "/tmp/batou-ts-bench";
const OUT = QUICK ? WORK : join(REPO, "docs");
const started = performance.now();
const loadBefore = loadavg()[0]!;
mkdirSync(WORK, { recursive: true });

// The executable under test: compiled from the working tree now, outside dist/ (which others use).
const EXE = join(WORK, "batou");
console.log(`building ${EXE} ...`);
const build = Bun.spawnSync([process.execPath, "scripts/build.ts", "--outfile", EXE], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
if (build.exitCode !== 0) {
  console.error(build.stderr.toString());
  process.exit(1);
}

// --- 1–3: local ---------------------------------------------------------------
console.log(`\n== local (${RUNS} runs each) ==`);
report({ section: "local", scenario: "configure 1,000 components (1 root, 1 host)", summary: summarize(await benchConfigure(RUNS)), goal: "≤ 0.5 s", goalSeconds: 0.5 });
report({ section: "local", scenario: "configure 1,000 root components on 100 hosts", summary: summarize(await benchConfigureRoots(RUNS)), goal: "≤ 0.5 s", goalSeconds: 0.5 });
report({
  section: "local",
  scenario: "local no-op deploy, 1,000 files (`bun batou.ts`)",
  summary: summarize(await benchNoopDeploy(RUNS, [process.execPath, `${REPO}/batou.ts`])),
  goal: "≤ 1 s",
  goalSeconds: 1,
});
report({ section: "local", scenario: "local no-op deploy, 1,000 files (compiled)", summary: summarize(await benchNoopDeploy(RUNS, [EXE])), goal: "≤ 1 s", goalSeconds: 1 });
report({ section: "local", scenario: "start-up: compiled `batou --version`", summary: summarize(await benchStartup(RUNS * 4, EXE)), goal: "< 100 ms", goalSeconds: 0.1 });

// --- 4–5: remote -----------------------------------------------------------------
let remote: RemoteResults | undefined;
let remoteOpenssh: RemoteResults | undefined;
let scaling: ScalingFigure[] = [];
let rtt: RttSeries[] = [];
let memory: MemoryFigure[] = [];
const bed = process.env.BENCH_SKIP_REMOTE === "1" ? { ok: false, reason: "BENCH_SKIP_REMOTE=1" } : testbedAvailability();
if (!bed.ok) {
  skip(`remote scenarios 4–5: SSH test bed unavailable (${bed.reason})`);
} else {
  console.log(`\n== scenario 4: 5 hosts × ${FILES} templated files over SSH (${RUNS} runs; fresh host: ${FRESH_RUNS}) ==`);
  try {
    remote = await benchRemote(EXE, WORK, RUNS, FRESH_RUNS);
    report({ section: "remote", scenario: "first deploy (executable already on the hosts)", summary: remote.first, goal: "≤ 1.0 s", goalSeconds: 1 });
    report({ section: "remote", scenario: "no-op redeploy", summary: remote.noop, goal: "≤ 0.6 s, ≥ 9× faster than Python batou", goalSeconds: 0.6 });
    report({ section: "remote", scenario: "fresh hosts (executable shipped to all 5)", summary: remote.fresh, goal: "≤ 3 s for all 5", goalSeconds: 3 });
    report({ section: "remote", scenario: "reference: OpenSSH alone sends the executable to all 5 (no batou)", summary: remote.transferFloor });
    report({ section: "remote", scenario: "bytes sent in a no-op (all 5 hosts, as reported by batou)", value: `${Math.round(remote.noopBytes)} B` });
    if (remote.check) skip(`output check: ${remote.check}`);
    console.log(`  no-op phases (median, s): ${JSON.stringify(remote.noopPhases, (_, v) => (typeof v === "number" ? Number(v.toFixed(3)) : v))}`);
    console.log(`  fresh-host phases (median, s): ${JSON.stringify(remote.freshPhases, (_, v) => (typeof v === "number" ? Number(v.toFixed(3)) : v))}`);
    remoteOpenssh = await benchRemote(EXE, WORK, RUNS, FRESH_RUNS, 5, "openssh");
    report({ section: "remote", scenario: "OpenSSH (`ssh_client = \"openssh\"`): first deploy", summary: remoteOpenssh.first, goal: "≤ 1.0 s", goalSeconds: 1 });
    report({ section: "remote", scenario: "OpenSSH: no-op redeploy", summary: remoteOpenssh.noop, goal: "≤ 0.6 s", goalSeconds: 0.6 });
    report({ section: "remote", scenario: "OpenSSH: fresh hosts", summary: remoteOpenssh.fresh, goal: "≤ 3 s for all 5", goalSeconds: 3 });
  } catch (error) {
    skip(`scenario 4 failed: ${(error as Error).message.slice(0, 500)}`);
  }
  console.log(`\n== scenario 4b: round trips behind delayproxy at ${RTTS.join(", ")} ms RTT (${RUNS} runs) ==`);
  try {
    const tb = await startTestbed(5);
    rtt = await benchRtt(EXE, WORK, tb, tb.hosts.slice(0, 5), RUNS, ["ssh2", "openssh"]);
  } catch (error) {
    skip(`scenario 4b failed: ${(error as Error).message.slice(0, 500)}`);
  }
  console.log(`\n== scenario 4c: agent peak memory at 100, 1,000, 10,000 files (one host) ==`);
  try {
    const tb = await startTestbed(1);
    memory = await benchMemory(EXE, WORK, tb, tb.hosts[0]!);
    reportMemory(memory);
  } catch (error) {
    skip(`scenario 4c failed: ${(error as Error).message.slice(0, 500)}`);
  }
  console.log(`\n== scenario 5: no-op redeploy on ${SCALING.join(", ")} hosts beside parallel ssh true (${RUNS} runs) ==`);
  try {
    scaling = await benchScaling(EXE, WORK, RUNS, SCALING, OPENSSH_SCALING, (n, error) => skip(`scenario 5, ${n} host(s): ${error.message.slice(0, 500)}`));
    reportScaling(scaling);
  } catch (error) {
    skip(`scenario 5 failed: ${(error as Error).message.slice(0, 500)}`);
  }
}

for (const failure of failures) notes.push(`retried: ${failure}`);

// --- 6: peers ----------------------------------------------------------------------
let peers: PeerResults | undefined;
console.log(`\n== scenario 6: peers (${PEERS.join(", ") || "none"}) through bench-peers ==`);
if (!bed.ok) {
  skip(`peers: SSH test bed unavailable (${bed.reason})`);
} else {
  // our own instance (the default, under BENCH_WORK) is stopped first; a shared one is left alone
  if (process.env.BATOU_TS_TESTHOSTS_DIR!.startsWith(WORK)) await stopTestbed();
  try {
    peers = await benchPeers(WORK, PEERS, RUNS, ANSIBLE_RUNS);
    // Python batou behind delayproxy too, for the round trips (scenario 4b)
    if (PEERS.includes("batou") && rtt.length) rtt.push(...(await batouAtRtts(WORK, RUNS, peers.figures, skip)));
    stopPeerHosts(peers.testhostsDir);
  } catch (error) {
    skip(`peers failed: ${(error as Error).message.slice(0, 500)}`);
    peers = { figures: new Map(), notes: [], testhostsDir: `${WORK}/peer-hosts`, seconds: 0 };
  }
  for (const note of peers.notes) skip(`peers: ${note}`);
  const ours: Record<string, ReturnType<typeof summarize> | undefined> = { "first-deploy": remote?.first, "noop-redeploy": remote?.noop };
  for (const peer of ["batou", "ansible"]) {
    for (const [key, label] of [["first-deploy", "first deploy"], ["noop-redeploy", "no-op redeploy"]] as const) {
      const f = peers.figures.get(`${peer}-${key}`);
      if (!f) continue;
      const mine = ours[key];
      const ratio = mine ? f.median / mine.median : undefined;
      report({
        section: "peers",
        scenario: `${peer === "batou" ? "Python batou" : "Ansible"}: ${label}`,
        summary: { median: f.median, min: f.min, max: f.max, runs: f.runs },
        goal: peer === "batou" && key === "noop-redeploy" ? "ours ≥ 9× faster" : undefined,
        note: ratio
          ? `ours is **${ratio.toFixed(1)}×** faster${peer === "batou" && key === "noop-redeploy" ? (ratio >= 9 ? " (met)" : " (**missed**)") : ""}`
          : "no figure of ours to compare",
      });
    }
  }
  if (remote) {
    for (const [peer, dir] of [["Python batou", peers.batouFiles], ["Ansible", peers.ansibleFiles]] as const) {
      if (!dir) continue;
      const problem = existsSync(dir) ? compareFiles(remote.host1Files, dir) : `${dir} not found`;
      const line = problem ? `output vs ${peer}: DIFFERENT (${problem})` : `output vs ${peer}: byte-identical (host1, ${FILES} files)`;
      console.log(`  ${line}`);
      notes.push(line);
    }
  }
}

// --- the document -------------------------------------------------------------------
const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${process.platform} ${process.arch}, Bun ${Bun.version}`;
const loadAfter = loadavg()[0]!;
const chartFile = "benchmarks-scaling.svg";
if (scaling.length) {
  const references = [{ y: 0.6, label: "goal for 5 hosts: 0.6 s", color: "#2da44e" }];
  const py = peers?.figures.get("batou-noop-redeploy");
  if (py) references.push({ y: py.median, label: `Python batou, 5 hosts: ${py.median.toFixed(2)} s`, color: "#cf222e" });
  writeFileSync(
    join(OUT, chartFile),
    lineChart({
      title: "No-op redeploy: time vs. hosts",
      xLabel: "hosts (test bed, 100 files each)",
      yLabel: "seconds (median)",
      points: scaling.map((s) => ({ x: s.hosts, median: s.summary.median, min: s.summary.min, max: s.summary.max })),
      references,
    }),
  );
}

const peerTiming = peers?.seconds ? ` (took ${peers.seconds.toFixed(0)} s)` : "";
const doc = `# Benchmarks

Written by \`bun run bench\`${QUICK ? " in **quick smoke mode (BENCH_QUICK=1): not representative**" : ""} on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC.

* Machine: ${machine}. Load average (1 min) ${loadBefore.toFixed(1)} at the start, ${loadAfter.toFixed(1)} at the end: other work on the machine shows up in the spread.
* Medians of ${RUNS} run(s) after one warm-up (start-up: ${RUNS * 4}; fresh host: ${FRESH_RUNS}); "spread" is min–max. Goals are shown, never asserted.
* The executable under test is compiled from the working tree at the start of the run (\`scripts/build.ts\`, into \`${WORK}\`).
* Where the time and memory go, and how each figure of issue 16 was brought down (each change with its before and after, the causes of what is left): [performance-notes.md](performance-notes.md).

## Local (scenarios 1–3)

${table("local")}
## Over SSH: 5 hosts × ${FILES} templated files (scenario 4)

The team harness's scenario (\`../shared/harness/scenario\`) written for this tool in \`bench/scenario/\`: on each of 5 test bed hosts (real sshd, \`tests/testbed\`), ${FILES} files of about 350 bytes from one template using the host name, the index and a loop. The compiled executable runs \`deploy bench --json\`, time measured around the process.

* **first deploy**: before each run, the target files and our project state on the hosts are deleted from the outside, except the shipped executable (\`~/batou-bench/.batou/\`).
* **no-op redeploy**: the same command again.
* **fresh hosts**: before each run, \`~/batou-bench\` is deleted on every host: the executable is shipped again. The warm-up is such a run too, so the build's zstd copy (made once per build) is cached, as on a user's machine after its first fresh host.
* **reference**: the system's OpenSSH client sends the executable's bytes to the 5 hosts at once (\`ssh HOST 'cat > /dev/null' < batou\`): what any SSH tool pays to put the uncompressed executable on fresh hosts on this machine and test bed, whose hosts share its cores (batou sends it zstd-compressed where the host has \`zstd\`).
* **bytes sent**: the sum over hosts of what batou reports as sent (executable + project + agent protocol; SSH framing not counted).

${table("remote")}
${remote ? `Phase timings reported by the tool (median; the phases follow each other: \`configure\` is the local model, \`connect\` covers, for all hosts in parallel, SSH, the agent's launch (shipping the executable first where it is missing), lock, the project shipment (nothing when the host's project fingerprint matches) and the host's own configure): no-op ${phaseText(remote.noopPhases)}; fresh hosts ${phaseText(remote.freshPhases)}.\n` : ""}
## Round trips: behind delayproxy (scenario 4b)

The same scenario (5 hosts × ${FILES} files) with every byte of each SSH connection delayed by half the round-trip time in each direction (the harness's \`delayproxy\` wrapped around the test bed's ProxyCommand; order kept, bandwidth not limited): our no-op redeploy and first deploy (the executable already on the hosts, the project not) with both SSH clients, a parallel \`ssh HOST true\` to the same hosts (OpenSSH: handshake, authentication, one command), and Python batou through bench-peers with its ssh_config wrapped the same way. **Round trips** = (time at RTT − time at 0) / RTT; "more than \`ssh true\`" = (ours − ssh true) / RTT at the same RTT.

Goals: a no-op redeploy at most one round trip more than \`ssh true\` (≤ 1.3 s at 100 ms RTT on this bed), a first deploy (executable present) at most two.

${rtt.length ? rttTable(rtt) : "_not run_\n"}
${rttVerdicts(rtt)}
## Agent memory on the hosts (scenario 4c)

The agent's peak resident memory (Linux \`VmHWM\`, reported by the agent after each deploy and shown with \`--debug\`) on one test host, for the scenario with 100, 1,000 and 10,000 files: a first deploy (the project and the files written) and a no-op. Goal: ≤ 100 MB at 10,000 files.

${table("memory")}
## Scaling: no-op redeploy vs. hosts (scenario 5)

The no-op redeploy of the scenario (100 files per host) on 1 to ${Math.max(...SCALING)} hosts, beside a parallel \`ssh HOST true\` to the same hosts; OpenSSH too at ${OPENSSH_SCALING.join(" and ")} hosts. Goal: at 20 and 50 hosts within ${SCALING_GOAL}× the parallel \`ssh true\`. Every host's sshd, agent and the deploying side share this machine's ${cpus().length} cores.

${scaling.length ? `![no-op redeploy time vs. hosts](${chartFile})\n\n` : ""}${table("scaling")}
Where the CPU time of one more run went (the deploying side: batou, or the ssh clients, with their ProxyCommands, from the process's rusage; the hosts: what each host's sshd reaped, i.e. its sessions, the login shells and the agents, from /proc; the agents as they report it):

${table("cpu")}
## Peers: the original batou and Ansible (scenario 6)

Measured in the same run through \`../shared/harness/bench-peers\`${peerTiming}, on a separate test bed instance (\`${peers?.testhostsDir ?? `${WORK}/peer-hosts`}\`, 5 hosts, run after ours, never at the same time), with the same files; "median" is hyperfine's. Ratios are the peer's median over ours. bench-peers runs from a copy of the harness with writable scenario files (\`${WORK}/harness\`): the shared copy is read-only, and the original batou's execnet rsync copies those modes to the hosts and then fails with "Permission denied" on \`components/benchfiles\`.

${table("peers")}
${notes.length ? `## Notes and skips\n\n${notes.map((n) => `* ${n}`).join("\n")}\n` : ""}
## How to rerun

\`\`\`sh
bun run bench                              # everything, 5 runs each, peers: batou + Ansible (~25 min)
BENCH_RUNS=3 BENCH_PEERS=batou bun run bench   # fewer runs, no Ansible (Ansible: ~2 min per run)
BENCH_PEERS=none bun run bench             # ours only
BENCH_QUICK=1 bun run bench                # smoke test: 1 run, writes ${WORK}/benchmarks.md instead
bun bench/rows.ts rtt memory scaling batou # single rows, printed, docs untouched (BENCH_RTTS, BENCH_HOSTS, BENCH_RUNS)
\`\`\`

Needs root for the SSH test bed: \`tests/testbed/testhosts\` with its own instance in \`${process.env.BATOU_TS_TESTHOSTS_DIR}\` (override with \`BATOU_TS_TESTHOSTS_DIR\`), ${Math.max(...SCALING)} hosts, stopped at the end like the peers' instance, and, for the peers, the harness in \`../shared/harness\` (\`BENCH_HARNESS\`) and a git directory of the original batou (\`BATOU_MIRROR\`, default \`../.mirror/flyingcircusio+batou/repo\`). bench-peers installs hyperfine, python3-execnet & co and ansible-core with apt-get when they are missing. Without the test bed, scenarios 4–6 print a SKIP line and the run still succeeds.
`;

function phaseText(phases: Record<string, number>): string {
  return Object.entries(phases)
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(", ");
}

writeFileSync(join(OUT, "benchmarks.md"), doc);
console.log(`\nwrote ${join(OUT, "benchmarks.md")}${scaling.length ? ` and ${join(OUT, chartFile)}` : ""} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
