/**
 * The project's SSH test bed for bun tests: N real sshd "hosts" on this
 * machine (see ./testhosts and /work/shared/harness/README.md), in their own
 * namespaces, under a project-specific state directory.
 *
 * ```ts
 * const bed = testbedAvailability();
 * describe.skipIf(!bed.ok)("over ssh", () => {
 *   let tb: Testbed;
 *   beforeAll(async () => { tb = await startTestbed(3); });
 *   test("...", async () => { ... hostPath("host2", "/home/deploy/x") ... });
 * });
 * ```
 *
 * Hosts stay up between test files (a no-op `up` costs ~0.5 s); `stopTestbed()`
 * is for CI teardown. `startTestbed(n)` never shrinks the bed, so test files
 * asking for different sizes do not stop each other's hosts.
 *
 * Without root or namespaces the tests skip with the reason; set
 * `BATOU_REQUIRE_TESTBED=1` (CI) to turn that into a failure instead.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";

/** The testhosts script in this repository. */
export const TESTHOSTS = join(import.meta.dir, "testhosts");
/** State directory (keys, host roots); distinct from the shared harness default. */
export const TESTBED_DIR = process.env.BATOU_TS_TESTHOSTS_DIR ?? "/tmp/batou-ts-testhosts";

/** What a running test bed offers. */
export interface Testbed {
  dir: string;
  /** ssh_config with aliases host1..hostN (and hostK-direct in netns mode). */
  sshConfig: string;
  hosts: string[];
  mode: "netns" | "loopback";
  /** Login user (passwordless sudo) and the second account. */
  user: string;
  serviceUser: string;
  /** The client private key (ed25519, no passphrase). */
  key: string;
  knownHosts: string;
  /** host → directory holding its private files on the real filesystem. */
  roots: Record<string, string>;
  /** host → "addr:port" as reachable from the client namespace. */
  addrs: Record<string, string>;
  /** netns mode: the client namespace name (for `nsenter --net=/run/netns/NAME`). */
  clientNetns: string;
}

function env(): NodeJS.ProcessEnv {
  return { ...process.env, TESTHOSTS_DIR: TESTBED_DIR, TESTHOSTS_QUIET: "1" };
}

/** Runs the testhosts script; throws with its stderr on failure. */
export function testhosts(...args: string[]): string {
  const r = spawnSync(TESTHOSTS, args, { env: env(), encoding: "utf8" });
  if (r.status !== 0) throw new Error(`testhosts ${args.join(" ")} failed (exit ${r.status}): ${r.stderr}`);
  return r.stdout;
}

let cachedAvailability: { ok: boolean; reason: string } | undefined;

/** Whether the test bed can run here (root, mount/UTS namespaces). Logs the reason once when not. */
export function testbedAvailability(): { ok: boolean; reason: string } {
  if (cachedAvailability) return cachedAvailability;
  let reason = "";
  if (process.getuid?.() !== 0) reason = "not root";
  else if (spawnSync("unshare", ["--mount", "--uts", "--propagation", "private", "true"]).status !== 0) {
    reason = "mount/UTS namespaces are not available";
  }
  if (reason && process.env.BATOU_REQUIRE_TESTBED === "1") {
    throw new Error(`SSH test bed required (BATOU_REQUIRE_TESTBED=1) but unavailable: ${reason}`);
  }
  if (reason) console.warn(`SKIP SSH test bed tests: ${reason} (needs root and namespaces; see tests/testbed/testbed.ts)`);
  cachedAvailability = { ok: reason === "", reason };
  return cachedAvailability;
}

function parseEnv(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^export ([A-Z0-9_]+)=(?:'([^']*)'|(\S*))/.exec(line);
    if (m) vars[m[1]] = m[2] ?? m[3] ?? "";
  }
  return vars;
}

function pairs(text: string): Record<string, string> {
  return Object.fromEntries(text.split(/\s+/).filter(Boolean).map((p) => p.split("=", 2) as [string, string]));
}

/** Reads the current test bed description (`testhosts env`). */
export function currentTestbed(): Testbed {
  const v = parseEnv(testhosts("env"));
  return {
    dir: v.TESTHOSTS_DIR,
    sshConfig: v.BATOU_SSH_CONFIG,
    hosts: v.BATOU_TESTHOSTS.split(/\s+/).filter(Boolean),
    mode: v.BATOU_TESTHOSTS_MODE as Testbed["mode"],
    user: v.BATOU_TESTHOSTS_USER,
    serviceUser: v.BATOU_TESTHOSTS_SERVICE_USER,
    key: v.BATOU_TESTHOSTS_KEY,
    knownHosts: v.BATOU_TESTHOSTS_KNOWN_HOSTS,
    roots: pairs(v.BATOU_TESTHOSTS_ROOTS),
    addrs: pairs(v.BATOU_TESTHOSTS_ADDRS),
    clientNetns: v.BATOU_TESTHOSTS_CLIENT_NETNS,
  };
}

function runningCount(): number {
  const r = spawnSync(TESTHOSTS, ["status"], { env: env(), encoding: "utf8" });
  if (r.status !== 0 || !r.stdout.startsWith("mode=")) return 0;
  const up = r.stdout.split("\n").filter((l) => / up /.test(l)).length;
  const total = Number(/hosts=(\d+)/.exec(r.stdout)?.[1] ?? 0);
  return up === total ? total : 0; // anything DOWN/STALE: let `up` repair it
}

/** Brings up (at least) `n` hosts and describes them. Idempotent and cheap when already up. */
export async function startTestbed(n: number): Promise<Testbed> {
  const want = Math.max(n, runningCount());
  const proc = Bun.spawn([TESTHOSTS, "up", String(want)], { env: env(), stdout: "pipe", stderr: "pipe" });
  const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`testhosts up ${want} failed (exit ${code}): ${stderr}`);
  return currentTestbed();
}

/** Stops all hosts (state and keys are kept). For CI teardown, not per test file. */
export async function stopTestbed(): Promise<void> {
  const proc = Bun.spawn([TESTHOSTS, "down"], { env: env(), stdout: "ignore", stderr: "pipe" });
  const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`testhosts down failed (exit ${code}): ${stderr}`);
}

/** Where `path` inside `host` lives on the real filesystem (e.g. `/home/deploy/x`). */
export function hostPath(host: string, path: string): string {
  return testhosts("path", host, path).trim();
}

/** Wipes the private data (homes, /srv, /tmp, /var/tmp) of the given hosts (default: all). */
export function resetHosts(...hosts: string[]): void {
  testhosts("reset", ...hosts);
}

/** Runs a command as root inside a host's namespaces. */
export function runInHost(host: string, ...command: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(TESTHOSTS, ["run", host, ...command], { env: env(), encoding: "utf8" });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The lines of a host's sshd log (e.g. to count "Accepted publickey" lines). */
export async function sshdLog(host: string): Promise<string[]> {
  const file = Bun.file(hostPath(host, "/var/log/sshd.log"));
  return (await file.exists()) ? (await file.text()).split(/\r?\n/) : []; // sshd -E writes CRLF
}
