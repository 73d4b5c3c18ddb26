/**
 * Scenario 6: the peers (the original Python batou, Ansible) on the same
 * scenario through the team harness's `bench-peers`.
 *
 * They run on a separate test bed instance (their own TESTHOSTS_DIR, owned
 * by the benchmark and stopped afterwards) and after our scenarios, never
 * at the same time, so neither disturbs the other's hosts or CPU. Which
 * peers run: `BENCH_PEERS` ("batou,ansible"; "batou"; "none").
 */
import { chmodSync, cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Beside the project, as CI and the team's machines have it: `../shared/harness`. */
export const HARNESS = process.env.BENCH_HARNESS ?? join(import.meta.dir, "../../shared/harness");
/** A git directory of the original batou: `../.mirror/flyingcircusio+batou/repo` beside the project, as `fetch` leaves it. */
export const BATOU_MIRROR = process.env.BATOU_MIRROR ?? join(import.meta.dir, "../../.mirror/flyingcircusio+batou/repo");

export interface PeerFigure {
  name: string;
  runs: number;
  mean: number;
  /** From hyperfine's JSON when there, else the mean. */
  median: number;
  stddev: number;
  min: number;
  max: number;
}

export interface PeerResults {
  figures: Map<string, PeerFigure>;
  /** Lines saying what was skipped or failed, and why. */
  notes: string[];
  /** Where the batou peer's files are on host1 (outside view), for the byte comparison. */
  batouFiles?: string;
  ansibleFiles?: string;
  testhostsDir: string;
  seconds: number;
}

/** Adds the owner's write bit everywhere below `dir`. */
function makeWritable(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    chmodSync(path, statSync(path).mode | 0o200);
    if (entry.isDirectory()) makeWritable(path);
  }
  chmodSync(dir, statSync(dir).mode | 0o200);
}

/**
 * A copy of the harness whose scenario files are writable: the shared copy is
 * read-only (r-x directories), and the original batou's execnet rsync copies
 * directory modes to the hosts, where it then cannot create
 * `components/benchfiles` inside a read-only `components` (Permission denied).
 */
function harnessCopy(work: string): string {
  const copy = join(work, "harness");
  rmSync(copy, { recursive: true, force: true });
  cpSync(HARNESS, copy, { recursive: true });
  makeWritable(copy);
  return copy;
}

/**
 * Puts the batou peer behind delayproxy: its copy of the test bed's ssh_config
 * gets every ProxyCommand wrapped (`delayproxy RTT/2 …`), as bench/rtt.ts
 * does for ours. Only the harness copy is changed.
 */
function delayBatouPeer(harness: string, rttMs: number): void {
  const script = join(harness, "bench-peers");
  const text = readFileSync(script, "utf8");
  const copy = 'cp "$CFG" "$BATOU_P/ssh_config_bench"';
  if (!text.includes(copy)) throw new Error(`${script}: cannot find where the batou peer's ssh_config is written (${copy})`);
  writeFileSync(script, text.replace(copy, `sed "s#ProxyCommand nsenter#ProxyCommand $HERE/delayproxy ${rttMs / 2} nsenter#" "$CFG" >"$BATOU_P/ssh_config_bench"`));
}

/** Runs bench-peers; never throws (a missing harness or peer becomes a note). With `delayMs`, the batou peer is behind delayproxy at that RTT. */
export async function benchPeers(work: string, peers: string[], runs: number, ansibleRuns: number, hosts = 5, files = 100, rttMs = 0): Promise<PeerResults> {
  const testhostsDir = join(work, "peer-hosts");
  const benchDir = join(work, rttMs ? `peers-rtt${rttMs}` : "peers");
  const result: PeerResults = { figures: new Map(), notes: [], testhostsDir, seconds: 0 };
  const script = join(HARNESS, "bench-peers");
  if (!existsSync(script)) {
    result.notes.push(`harness not found at ${script} (set BENCH_HARNESS): peers skipped`);
    return result;
  }
  if (peers.length === 0) {
    result.notes.push("peers skipped (BENCH_PEERS=none)");
    return result;
  }
  if (!existsSync(BATOU_MIRROR) && peers.includes("batou")) result.notes.push(`batou mirror not found at ${BATOU_MIRROR} (set BATOU_MIRROR)`);
  rmSync(join(benchDir, "results.tsv"), { force: true });
  const harness = harnessCopy(work);
  if (rttMs) delayBatouPeer(harness, rttMs);
  const start = performance.now();
  const proc = Bun.spawn([join(harness, "bench-peers"), "-m", String(hosts), "-k", String(files), "-r", String(runs), "-a", String(ansibleRuns), ...peers], {
    env: { ...process.env, TESTHOSTS_DIR: testhostsDir, BENCH_DIR: benchDir, BATOU_MIRROR },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  // stderr carries its progress ("measuring ..."): pass it through, indented
  const progress = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr) for (const line of decoder.decode(chunk).split("\n")) if (line.trim()) console.log(`  ${line}`);
  })();
  const [, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited, progress]);
  result.seconds = (performance.now() - start) / 1000;
  if (code !== 0) result.notes.push(`bench-peers exited with ${code} (logs: ${benchDir}/logs)`);
  const tsv = join(benchDir, "results.tsv");
  if (!existsSync(tsv)) return result;
  for (const line of readFileSync(tsv, "utf8").split("\n")) {
    const [name, status, ...rest] = line.split("\t");
    if (!name) continue;
    if (status === "OK" && rest.length >= 5) {
      const [runs_, mean, stddev, min, max] = rest.map(Number) as [number, number, number, number, number];
      let median = mean;
      try {
        median = JSON.parse(readFileSync(join(benchDir, "json", `${name}.json`), "utf8")).results[0].median ?? mean;
      } catch {
        // the plain-loop fallback of bench-peers writes no JSON
      }
      result.figures.set(name, { name, runs: runs_, mean, median, stddev, min, max });
    } else if (status === "SKIPPED" || status === "FAILED") {
      result.notes.push(`${name}: ${status.toLowerCase()}${rest.length ? ` (${rest.join(" ")})` : ""}`);
    }
  }
  const home = join(testhostsDir, "host1/home/deploy");
  if (result.figures.has("batou-noop-redeploy")) result.batouFiles = join(home, "deployment/work/benchfiles/files");
  if (result.figures.has("ansible-noop-redeploy")) result.ansibleFiles = join(home, "ansible-bench/files");
  return result;
}

/** Stops the peers' own test bed (ours to stop: nobody else uses that TESTHOSTS_DIR). */
export function stopPeerHosts(testhostsDir: string): void {
  const script = join(HARNESS, "testhosts");
  if (!existsSync(join(testhostsDir, "ssh_config")) || !existsSync(script)) return;
  Bun.spawnSync([script, "down"], { env: { ...process.env, TESTHOSTS_DIR: testhostsDir }, stdout: "ignore", stderr: "ignore" });
}
