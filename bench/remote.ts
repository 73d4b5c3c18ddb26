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
import { type Testbed, startTestbed } from "../tests/testbed/testbed.ts";
import { type Summary, summarize } from "./stats.ts";

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
  stderr: string;
}

export interface BenchProject {
  dir: string;
  hosts: string[];
}

/** A project with the scenario component on `hosts`, the test bed's ssh_config, `jobs` = hosts. */
export function makeProject(work: string, tb: Testbed, hosts: string[], count = FILES): BenchProject {
  const dir = join(work, `project-${hosts.length}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "environments"), { recursive: true });
  cpSync(join(SCENARIO, "components"), join(dir, "components"), { recursive: true });
  writeFileSync(join(dir, "ssh_config"), readFileSync(tb.sshConfig, "utf8"));
  const lines = ["[environment]", 'connect_method = "ssh"', `target_directory = "${TARGET}"`, `jobs = ${hosts.length}`, "timeout = 120"];
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
export async function deploy(exe: string, project: BenchProject): Promise<DeployRun> {
  const start = performance.now();
  const proc = Bun.spawn([exe, "deploy", "bench", "--json"], {
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
    if (event.event === "error") errors.push(String(event.message));
  }
  const ok = code === 0 && summary.ok === true;
  if (!ok) {
    throw new Error(`deploy failed (exit ${code}; output: ${log}): ${errors.join("; ") || stderr.slice(-500) || stdout.slice(-500)}`);
  }
  return { seconds, ok, changed: summary.changed ?? -1, bytesSent, phases: summary.phases ?? {}, stderr };
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
export async function benchRemote(exe: string, work: string, runs: number, freshRuns: number, hostCount = 5): Promise<RemoteResults> {
  const tb = await startTestbed(hostCount);
  const hosts = tb.hosts.slice(0, hostCount);
  const project = makeProject(work, tb, hosts);
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
    host1Files: filesDir(tb, hosts[0]!),
  };
}

/** Scenario 5: the no-op redeploy on 1..N hosts; a failing host count is reported and skipped. */
export async function benchScaling(
  exe: string,
  work: string,
  runs: number,
  counts: number[],
  onError: (hosts: number, error: Error) => void,
): Promise<{ hosts: number; summary: Summary }[]> {
  const tb = await startTestbed(Math.max(...counts));
  const out: { hosts: number; summary: Summary }[] = [];
  for (const n of counts) {
    try {
      const project = makeProject(work, tb, tb.hosts.slice(0, n));
      await deploy(exe, project); // warm-up; on new hosts this ships the executable and deploys
      const rs = await series(`no-op, ${n} host(s)`, runs, () => {}, () => deploy(exe, project), (c) => c === 0);
      out.push({ hosts: n, summary: summarize(rs.map((r) => r.seconds)) });
    } catch (error) {
      onError(n, error as Error);
    }
  }
  return out;
}
