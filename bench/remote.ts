/**
 * Remote scenarios against the SSH test bed (tests/testbed): the harness
 * scenario (K templated files on each of M hosts, bench/scenario/) deployed
 * with the compiled executable: first deploy, no-op redeploy, fresh host,
 * bytes sent in a no-op, and the no-op's scaling with the number of hosts.
 *
 * Everything lives in our own target directory (`batou-bench`) on the
 * hosts, so other users of the shared test bed are not disturbed: "fresh
 * host" deletes that directory from the outside instead of `testhosts reset`.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SshClient } from "../lib/engine/environment-schema.ts";
import { type Testbed, startTestbed } from "../tests/testbed/testbed.ts";
import { report } from "./report.ts";
import { measure, type Summary, summarize } from "./stats.ts";

const SCENARIO = join(import.meta.dir, "scenario");
export const TARGET = "batou-bench";
export const FILES = 100;

export interface DeployRun {
  seconds: number;
  ok: boolean;
  changed: number;
  /** Sum over hosts of what the tool reports as sent (executable + project + protocol). */
  bytesSent: number;
  /** The tool's own phase timings (seconds, consecutive phases). */
  phases: Record<string, number>;
  /** With `debug`: each host's agent peak memory (VmHWM, bytes), as the agent reported it. */
  peakRss: Map<string, number>;
  /** With `debug`: each host's agent CPU time (s), as the agent reported it after its last root. */
  agentCpu: Map<string, number>;
  /** CPU time (s) of the deploying process and the children it waited for (ProxyCommands, ssh). */
  localCpu: number;
  stderr: string;
}

export interface BenchProject {
  dir: string;
  hosts: string[];
}

/** How a bench project differs from the plain scenario. */
export interface ProjectOptions {
  /** The SSH client (default ssh2). */
  client?: SshClient;
  /** ssh_config text (default: the test bed's). */
  sshConfig?: string;
  /** The project folder's name (default `project-HOSTS`). */
  name?: string;
}

/** A project with the scenario component on `hosts`, the test bed's ssh_config, `jobs` = hosts. */
export function makeProject(work: string, tb: Testbed, hosts: string[], count = FILES, options: ProjectOptions = {}): BenchProject {
  const dir = join(work, options.name ?? `project-${hosts.length}${options.client && options.client !== "ssh2" ? `-${options.client}` : ""}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "environments"), { recursive: true });
  cpSync(join(SCENARIO, "components"), join(dir, "components"), { recursive: true });
  writeFileSync(join(dir, "ssh_config"), options.sshConfig ?? readFileSync(tb.sshConfig, "utf8"));
  const lines = ["[environment]", 'connect_method = "ssh"', `ssh_client = "${options.client ?? "ssh2"}"`, `target_directory = "${TARGET}"`, `jobs = ${hosts.length}`, "timeout = 120"];
  for (const host of hosts) lines.push(`[hosts.${host}]`, 'components = ["benchfiles"]');
  lines.push("[components.benchfiles]", `count = ${count}`);
  writeFileSync(join(dir, "environments/bench.toml"), `${lines.join("\n")}\n`);
  return { dir, hosts };
}

/** A deploy that takes longer than this (seconds) is stopped and counts as failed. */
const DEPLOY_TIMEOUT = Number(process.env.BENCH_DEPLOY_TIMEOUT ?? 180);
let deployCount = 0;

/**
 * `EXE deploy bench --json` in the project; wall time measured around the
 * process. Its output is kept in `<project>/../logs/deploy-N.jsonl`.
 */
export async function deploy(exe: string, project: BenchProject, options: { debug?: boolean } = {}): Promise<DeployRun> {
  const start = performance.now();
  const proc = Bun.spawn([exe, "deploy", "bench", "--json", ...(options.debug ? ["-d"] : [])], {
    cwd: project.dir,
    env: { ...process.env, NO_COLOR: "1" },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill("SIGINT"); // batou's Ctrl-C path: stops the agents, releases the locks
    setTimeout(() => proc.kill("SIGKILL"), 10_000).unref();
  }, DEPLOY_TIMEOUT * 1000);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  const seconds = (performance.now() - start) / 1000;
  const logs = join(project.dir, "..", "logs");
  mkdirSync(logs, { recursive: true });
  const log = join(logs, `deploy-${++deployCount}-${project.hosts.length}hosts.jsonl`);
  writeFileSync(log, `${stdout}\n--- stderr\n${stderr}`);
  if (timedOut) throw new Error(`deploy hung: stopped after ${DEPLOY_TIMEOUT} s (BENCH_DEPLOY_TIMEOUT); its output: ${log}`);
  let bytesSent = 0;
  const peakRss = new Map<string, number>();
  const agentCpu = new Map<string, number>();
  let summary: { ok?: boolean; changed?: number; phases?: Record<string, number> } = {};
  const errors: string[] = [];
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    const event = JSON.parse(line);
    if (event.event === "host" && event.status === "configured") {
      const m = /([\d.]+) (B|KiB|MiB|GiB) sent in total/.exec(String(event.detail));
      if (m) bytesSent += Number(m[1]) * { B: 1, KiB: 1024, MiB: 2 ** 20, GiB: 2 ** 30 }[m[2] as "B"];
    }
    if (event.event === "summary") summary = event;
    const peak = event.event === "debug" ? /^(\S+): agent peak memory ([\d.]+) MiB/.exec(String(event.message)) : null;
    if (peak) peakRss.set(peak[1]!, Math.max(peakRss.get(peak[1]!) ?? 0, Number(peak[2]) * 2 ** 20));
    const cpu = event.event === "debug" ? /^(\S+): agent peak memory .*?, ([\d.]+) s CPU/.exec(String(event.message)) : null;
    if (cpu) agentCpu.set(cpu[1]!, Math.max(agentCpu.get(cpu[1]!) ?? 0, Number(cpu[2])));
    if (event.event === "error") errors.push(String(event.message));
  }
  const ok = code === 0 && summary.ok === true;
  if (!ok) {
    throw new Error(`deploy failed (exit ${code}; output: ${log}): ${errors.join("; ") || stderr.slice(-500) || stdout.slice(-500)}`);
  }
  return { seconds, ok, changed: summary.changed ?? -1, bytesSent, phases: summary.phases ?? {}, peakRss, agentCpu, localCpu: cpuOf(proc), stderr };
}

function targetOf(tb: Testbed, host: string): string {
  return join(tb.roots[host]!, "home", tb.user, TARGET);
}

/** Before a "first deploy": the target files and our remote project state go, the shipped executable stays. */
export function wipeKeepExecutable(tb: Testbed, hosts: string[]): void {
  for (const host of hosts) {
    const target = targetOf(tb, host);
    if (!existsSync(target)) continue;
    for (const entry of readdirSync(target)) if (entry !== ".batou") rmSync(join(target, entry), { recursive: true, force: true });
  }
}

/** Before a "fresh host" deploy: nothing of ours is left on the host, not even the executable. */
export function wipeAll(tb: Testbed, hosts: string[]): void {
  for (const host of hosts) rmSync(targetOf(tb, host), { recursive: true, force: true });
}

/** Where the scenario's files are on `host`, seen from the outside. */
export function filesDir(tb: Testbed, host: string): string {
  return join(targetOf(tb, host), "work/benchfiles/files");
}

/** Every host holds exactly `count` files; returns a problem or undefined. */
export function checkFiles(tb: Testbed, hosts: string[], count = FILES): string | undefined {
  for (const host of hosts) {
    const dir = filesDir(tb, host);
    const n = existsSync(dir) ? readdirSync(dir).length : 0;
    if (n !== count) return `${host} holds ${n} files, want ${count}`;
  }
  return undefined;
}

/** Compares the files in two directories byte for byte; returns a problem or undefined. */
export function compareFiles(ours: string, otherDir: string): string | undefined {
  const names = readdirSync(ours).sort();
  const theirs = readdirSync(otherDir).sort();
  if (names.join() !== theirs.join()) return `file names differ (${names.length} vs ${theirs.length})`;
  for (const name of names) {
    if (!readFileSync(join(ours, name)).equals(readFileSync(join(otherDir, name)))) return `${name} differs`;
  }
  return undefined;
}

export interface RemoteResults {
  first: Summary;
  noop: Summary;
  fresh: Summary;
  /** Reference for "fresh": OpenSSH alone pushing the executable's bytes to every host at once. */
  transferFloor: Summary;
  noopBytes: number;
  noopPhases: Record<string, number>;
  freshPhases: Record<string, number>;
  check?: string;
  /** Our files on host1, seen from the outside (for comparing with the peers'). */
  host1Files: string;
}

async function series(
  label: string,
  runs: number,
  prepare: () => void,
  run: () => Promise<DeployRun>,
  expectChanged?: (changed: number) => boolean,
): Promise<DeployRun[]> {
  const out: DeployRun[] = [];
  for (let i = 0; i < runs; i++) {
    prepare();
    let r: DeployRun;
    try {
      r = await run();
    } catch (error) {
      // one retry, so an intermittent failure still leaves figures; the failure is reported
      const message = `${label} ${i + 1}/${runs} failed, retried once: ${(error as Error).message.slice(0, 400)}`;
      failures.push(message);
      console.log(`  ${message}`);
      prepare();
      r = await run();
    }
    if (expectChanged && !expectChanged(r.changed)) throw new Error(`${label}: unexpected number of changed components: ${r.changed}`);
    console.log(`  ${label} ${i + 1}/${runs}: ${r.seconds.toFixed(3)} s (${r.changed} changed)`);
    out.push(r);
  }
  return out;
}

/** Runs that failed and were retried (for the report). */
export const failures: string[] = [];

const median = (xs: number[]) => summarize(xs).median;

/**
 * Seconds for the system's OpenSSH client to send `file` to every host at once
 * (`ssh HOST 'cat > /dev/null' < file`): what any SSH tool pays to put the
 * executable on fresh hosts, on this machine, with this test bed.
 */
async function pushBytes(tb: Testbed, hosts: string[], file: string): Promise<number> {
  const start = performance.now();
  const codes = await Promise.all(
    hosts.map((host) => Bun.spawn(["ssh", "-F", tb.sshConfig, host, "cat > /dev/null"], { stdin: Bun.file(file), stdout: "ignore", stderr: "ignore" }).exited),
  );
  if (codes.some((code) => code !== 0)) throw new Error(`ssh cat > /dev/null failed on a host (exit codes ${codes.join(", ")})`);
  return (performance.now() - start) / 1000;
}

/** Scenario 4: M hosts × K files. */
export async function benchRemote(exe: string, work: string, runs: number, freshRuns: number, hostCount = 5, client: SshClient = "ssh2"): Promise<RemoteResults> {
  const tb = await startTestbed(hostCount);
  const hosts = tb.hosts.slice(0, hostCount);
  const project = makeProject(work, tb, hosts, FILES, { client });
  const run = () => deploy(exe, project);
  // warm-up, as a fresh-host run: ships the current executable and caches its compressed
  // copy (made once per build, as on a user's machine after the first fresh host)
  wipeAll(tb, hosts);
  await run();

  const fresh = await series("fresh hosts", freshRuns, () => wipeAll(tb, hosts), run, (c) => c > 0);
  const floor: number[] = [];
  for (let i = 0; i < freshRuns; i++) floor.push(await pushBytes(tb, hosts, exe));
  console.log(`  transfer floor (OpenSSH, ${hosts.length} hosts): ${floor.map((x) => x.toFixed(3)).join(", ")} s`);
  const first = await series("first deploy", runs, () => wipeKeepExecutable(tb, hosts), run, (c) => c > 0);
  const check = checkFiles(tb, hosts);
  // a copy: later scenarios (the memory row) deploy other files into the same host directory
  const host1Files = join(work, "ours-host1-files");
  rmSync(host1Files, { recursive: true, force: true });
  cpSync(filesDir(tb, hosts[0]!), host1Files, { recursive: true });
  const noop = await series("no-op", runs, () => {}, run, (c) => c === 0);
  const phaseMedians = (rs: DeployRun[]) =>
    Object.fromEntries(Object.keys(rs[0]?.phases ?? {}).map((k) => [k, median(rs.map((r) => r.phases[k] ?? 0))]));
  return {
    first: summarize(first.map((r) => r.seconds)),
    noop: summarize(noop.map((r) => r.seconds)),
    fresh: summarize(fresh.map((r) => r.seconds)),
    transferFloor: summarize(floor),
    noopBytes: median(noop.map((r) => r.bytesSent)),
    noopPhases: phaseMedians(noop),
    freshPhases: phaseMedians(fresh),
    check,
    host1Files,
  };
}

/** CPU seconds (user + system) of an ended process and the children it waited for. */
function cpuOf(proc: { resourceUsage(): { cpuTime: { total: bigint | number } } | undefined }): number {
  return Number(proc.resourceUsage()?.cpuTime.total ?? 0) / 1e6;
}

/**
 * CPU seconds the hosts' sshd did so far for sessions that ended: the listening
 * sshd's reaped children (session processes, and through them the login
 * shell and the batou agent), from /proc (its cutime + cstime).
 */
export function hostsCpu(tb: Testbed, hosts: string[]): number {
  const tick = 100; // USER_HZ on Linux
  let total = 0;
  for (const host of hosts) {
    const pid = readFileSync(join(tb.dir, host, "run/sshd.pid"), "utf8").trim();
    // fields after the command's closing parenthesis: state is field 3, cutime 16, cstime 17
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    total += (Number(fields[13]) + Number(fields[14])) / tick;
  }
  return total;
}

/** Where the CPU time of one run went (seconds). */
export interface CpuFigure {
  wall: number;
  /** The deploying side: batou (or the ssh clients) and their ProxyCommands. */
  local: number;
  /**
   * The hosts: what their sshd reaped (sessions, login shells, and the agents
   * when they ended before their session; with ssh2 the session usually ends
   * first, since batou closes without waiting, and the agent is reaped elsewhere).
   */
  reaped: number;
  /** The agents, as they reported it (none for `ssh true`). */
  agents?: number;
}

/** One run of `run` with the CPU time of both sides; the hosts' sessions are given a moment to end. */
export async function withCpu(tb: Testbed, hosts: string[], run: () => Promise<{ wall: number; local: number; agents?: number }>): Promise<CpuFigure> {
  const before = hostsCpu(tb, hosts);
  const figure = await run();
  // agents end by themselves right after batou, their sshd sessions then: wait until the count is still for 1 s
  let after = hostsCpu(tb, hosts);
  for (let i = 0; i < 15; i++) {
    await Bun.sleep(1000);
    const now = hostsCpu(tb, hosts);
    if (now === after) break;
    after = now;
  }
  return { ...figure, reaped: after - before };
}

/** A CPU figure in words. */
export function cpuText(c: CpuFigure): string {
  const agents = c.agents ?? 0;
  // the agents are in what sshd reaped only when it reaped at least that much
  const sshd = c.reaped >= agents ? c.reaped - agents : c.reaped;
  const split = c.agents === undefined ? `sshd ${sshd.toFixed(2)} s` : `agents ${agents.toFixed(2)} s, sshd and shells ${sshd.toFixed(2)} s`;
  return `${c.wall.toFixed(2)} s wall; CPU ${(c.local + sshd + agents).toFixed(2)} s: deploying side ${c.local.toFixed(2)} s, hosts ${(sshd + agents).toFixed(2)} s (${split})`;
}

/** One parallel `ssh HOST true` to every host: wall and the ssh clients' CPU seconds. */
export async function sshTrueOnce(configFile: string, hosts: string[]): Promise<{ wall: number; local: number }> {
  const start = performance.now();
  const procs = hosts.map((host) => Bun.spawn(["ssh", "-F", configFile, host, "true"], { stdout: "ignore", stderr: "ignore" }));
  const codes = await Promise.all(procs.map((proc) => proc.exited));
  if (codes.some((code) => code !== 0)) throw new Error(`ssh true failed on a host (exit codes ${codes.join(", ")})`);
  return { wall: (performance.now() - start) / 1000, local: procs.reduce((sum, proc) => sum + cpuOf(proc), 0) };
}

/** Seconds for `ssh HOST true` to every host at once (OpenSSH, with `configFile`), after a warm-up. */
export async function parallelSshTrue(configFile: string, hosts: string[], runs: number): Promise<Summary> {
  const samples = await measure(runs, async () => {
    const codes = await Promise.all(hosts.map((host) => Bun.spawn(["ssh", "-F", configFile, host, "true"], { stdout: "ignore", stderr: "ignore" }).exited));
    if (codes.some((code) => code !== 0)) throw new Error(`ssh true failed on a host (exit codes ${codes.join(", ")})`);
  });
  return summarize(samples);
}

/** One host count of scenario 5: our no-op (per client) and a parallel `ssh HOST true` to the same hosts. */
export interface ScalingFigure {
  hosts: number;
  summary: Summary;
  openssh?: Summary;
  sshTrue: Summary;
  /** One more run of each, with where its CPU time went. */
  cpu: { ssh2: CpuFigure; openssh?: CpuFigure; sshTrue: CpuFigure };
}

/**
 * Scenario 5: the no-op redeploy on 1..N hosts beside a parallel `ssh HOST
 * true` to them; with OpenSSH too at the counts in `openssh`. A failing host
 * count is reported and skipped.
 */
export async function benchScaling(
  exe: string,
  work: string,
  runs: number,
  counts: number[],
  openssh: number[],
  onError: (hosts: number, error: Error) => void,
): Promise<ScalingFigure[]> {
  const tb = await startTestbed(Math.max(...counts));
  const out: ScalingFigure[] = [];
  for (const n of counts) {
    try {
      const hosts = tb.hosts.slice(0, n);
      const noop = async (client: SshClient) => {
        const project = makeProject(work, tb, hosts, FILES, { client });
        await deploy(exe, project); // warm-up; on new hosts this ships the executable and deploys
        const rs = await series(`no-op, ${n} host(s), ${client}`, runs, () => {}, () => deploy(exe, project), (c) => c === 0);
        const cpu = await withCpu(tb, hosts, async () => {
          const r = await deploy(exe, project, { debug: true });
          return { wall: r.seconds, local: r.localCpu, agents: [...r.agentCpu.values()].reduce((a, b) => a + b, 0) };
        });
        return { summary: summarize(rs.map((r) => r.seconds)), cpu };
      };
      const ours = await noop("ssh2");
      const withOpenssh = openssh.includes(n) ? await noop("openssh") : undefined;
      const sshTrue = await parallelSshTrue(tb.sshConfig, hosts, runs);
      const sshTrueCpu = await withCpu(tb, hosts, () => sshTrueOnce(tb.sshConfig, hosts));
      console.log(`  parallel ssh true, ${n} host(s): ${sshTrue.median.toFixed(3)} s`);
      const cpu = { ssh2: ours.cpu, openssh: withOpenssh?.cpu, sshTrue: sshTrueCpu };
      for (const [what, c] of Object.entries(cpu)) if (c) console.log(`  CPU, ${what}, ${n} host(s): ${cpuText(c)}`);
      out.push({ hosts: n, summary: ours.summary, openssh: withOpenssh?.summary, sshTrue, cpu });
    } catch (error) {
      onError(n, error as Error);
    }
  }
  return out;
}

/** The goal of the no-op at 20 and 50 hosts: this many times a parallel `ssh true`. */
export const SCALING_GOAL = 1.2;

/** The scaling rows (section "scaling", goals at 20 hosts and more) and where the CPU time went (section "cpu"). */
export function reportScaling(figures: ScalingFigure[]): void {
  for (const s of figures) {
    const goal = s.hosts >= 20 ? `≤ ${SCALING_GOAL}× parallel \`ssh true\`` : undefined;
    const ratio = (x: number) => `${(x / s.sshTrue.median).toFixed(2)}× ssh true${goal ? (x <= SCALING_GOAL * s.sshTrue.median ? " (met)" : " (**missed**)") : ""}`;
    report({ section: "scaling", scenario: `no-op redeploy, ${s.hosts} host(s)`, summary: s.summary, goal, note: ratio(s.summary.median) });
    if (s.openssh) report({ section: "scaling", scenario: `no-op redeploy, ${s.hosts} host(s), OpenSSH`, summary: s.openssh, goal, note: ratio(s.openssh.median) });
    report({ section: "scaling", scenario: `reference: parallel \`ssh HOST true\`, ${s.hosts} host(s)`, summary: s.sshTrue });
    const labels = { ssh2: "no-op (ssh2)", openssh: "no-op (OpenSSH)", sshTrue: "parallel `ssh HOST true`" };
    for (const [what, c] of Object.entries(s.cpu)) if (c) report({ section: "cpu", scenario: `${labels[what as keyof typeof labels]}, ${s.hosts} host(s)`, value: cpuText(c) });
  }
}
