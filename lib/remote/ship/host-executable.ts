/**
 * The standalone batou executable that is shipped to a host: for the host's
 * architecture, built with `bun build --compile` when running from source
 * (cached per version, target and source hash under
 * `$XDG_CACHE_HOME/batou/build/`), or this very executable when batou runs
 * compiled (another architecture: a `batou-linux-ARCH` file beside it).
 *
 * Each comes with the sha256 it must have: recorded from the bytes batou
 * built, taken from the signed release manifest, or hashed from the running
 * executable. A cached file is never trusted for being there: before it is
 * shipped, its content is checked against that sha256 ({@link verifyExecutable}).
 *
 * @module
 */
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, copyFileSync, utimesSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { writeFileAtomic } from "../../engine/atomic-file.ts";
import { BatouError } from "../../engine/errors.ts";
import { processAlive } from "../../engine/process-info.ts";
import { releaseExecutable, releaseExecutableSha256, runningRelease } from "../../bootstrap/release-executable.ts";
import type { Probe } from "../commands.ts";
import { VERSION } from "../../version.ts";
import { shownCompileArgs, sourceCompileFlags } from "../../compile-flags.ts";

export type Arch = "x64" | "arm64";

export interface ShippableExecutable {
  /** A directory holding `batou-VERSION` and its `.sha256` (what rsync ships into `.batou/`). */
  dir: string;
  file: string;
  name: string;
  sha256: string;
  size: number;
  /** How it was obtained, for debug output. */
  origin: string;
}

/** `uname -m` → Bun target arch. */
export function archOf(machine: string, host: string): Arch {
  const m = machine.trim();
  if (m === "x86_64" || m === "amd64") return "x64";
  if (m === "aarch64" || m === "arm64") return "arm64";
  throw new BatouError(`batou cannot run on the architecture of host ${host}`, { host, architecture: m || "(unknown)", supported: "x86_64, aarch64" });
}

export function executableName(): string {
  return `batou-${VERSION}`;
}

export function cacheBase(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "batou");
}

/** True inside a `bun build --compile` executable. */
export function isCompiled(): boolean {
  return import.meta.dir.startsWith("/$bunfs") || import.meta.dir.includes("~BUN");
}

const SOURCE_ROOT = join(import.meta.dir, "..", "..", "..");

function sourceFiles(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(path, out);
    else if (/\.(ts|js|json|txt|j2|md)$/.test(entry.name) && !entry.name.endsWith(".test.ts")) out.push(path);
  }
}

/** A hash of everything that goes into the executable (a change of source means a new build). */
function sourceHash(): string {
  const files: string[] = [];
  sourceFiles(join(SOURCE_ROOT, "lib"), files);
  for (const top of ["batou.ts", "package.json", "bun.lock"]) if (existsSync(join(SOURCE_ROOT, top))) files.push(join(SOURCE_ROOT, top));
  files.sort();
  const hasher = new Bun.CryptoHasher("sha256");
  for (const file of files) {
    hasher.update(relative(SOURCE_ROOT, file) + "\0");
    hasher.update(readFileSync(file));
    hasher.update("\0");
  }
  return hasher.digest("hex").slice(0, 16);
}

export async function sha256File(path: string): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  const reader = Bun.file(path).stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    hasher.update(value);
  }
  return hasher.digest("hex");
}

/**
 * The sidecar `<file>.sha256`: `SHA SIZE MTIME` (seconds). It is shipped with
 * the executable: the host then answers "which sha256 do you have" with a
 * `cat` instead of hashing 100 MB each run, and its size and mtime (kept by
 * rsync) tell whether that answer still holds.
 */
function writeSidecar(file: string, sha256: string): void {
  const st = statSync(file);
  writeFileSync(`${file}.sha256`, `${sha256} ${st.size} ${Math.floor(st.mtimeMs / 1000)}\n`);
}

/** The sha256 recorded beside `file`, when the record is for this size and mtime. */
function recordedSha(file: string): string | undefined {
  try {
    const st = statSync(file);
    const [sha, size, mtime] = readFileSync(`${file}.sha256`, "utf8").trim().split(" ");
    if (Number(size) === st.size && Number(mtime) === Math.floor(st.mtimeMs / 1000) && sha && /^[0-9a-f]{64}$/.test(sha)) return sha;
  } catch {}
  return undefined;
}

/** Whether the host's executable (the probe's sidecar, `stat` and, after a failed start, its real sha256) is `local`. */
export function remoteIsCurrent(local: ShippableExecutable, probe: Pick<Probe, "sidecar" | "stat" | "sha256">): boolean {
  const [sha, size, mtime] = probe.sidecar.trim().split(" ");
  const [rsize, rmtime] = probe.stat.trim().split(" ");
  if (probe.sha256 !== undefined && probe.sha256 !== local.sha256) return false;
  return sha === local.sha256 && size === rsize && mtime === rmtime && Number(rsize) === local.size;
}

/**
 * Checks the content of the file about to be shipped against the sha256 it
 * must have; a file planted or damaged in the cache is never shipped.
 */
export async function verifyExecutable(local: ShippableExecutable): Promise<void> {
  const actual = await sha256File(local.file);
  if (actual === local.sha256) return;
  throw new BatouError("the batou executable to ship does not have the sha256 it must have: refusing to ship it", {
    file: local.file,
    origin: local.origin,
    expected: local.sha256,
    actual,
    hint: `remove ${local.dir} (batou then builds or fetches it again) and find out who changed it`,
  });
}

async function build(arch: Arch, log: (line: string) => void): Promise<ShippableExecutable> {
  const name = executableName();
  const dir = join(cacheBase(), "build", `${VERSION}-linux-${arch}-${sourceHash()}`);
  const file = join(dir, name);
  let origin = `cached build ${dir}`;
  if (existsSync(dir) && !recordedSha(file)) {
    log(`the cached build ${dir} has no valid sha256 record: building it again`);
    rmSync(dir, { recursive: true, force: true });
  }
  if (!existsSync(file)) {
    mkdirSync(dirname(dir), { recursive: true });
    const temp = `${dir}.tmp-${process.pid}`;
    rmSync(temp, { recursive: true, force: true });
    mkdirSync(temp, { recursive: true });
    const began = performance.now();
    const args = [process.execPath, "build", "--compile", ...sourceCompileFlags(SOURCE_ROOT), "--target", `bun-linux-${arch}`, "batou.ts", "--outfile", join(temp, name)];
    log(`building the executable for linux-${arch}: ${shownCompileArgs(args)}`);
    const proc = Bun.spawn(args, { cwd: SOURCE_ROOT, stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    if (code !== 0) {
      rmSync(temp, { recursive: true, force: true });
      throw new BatouError(`could not build the batou executable for linux-${arch}`, {
        command: shownCompileArgs(args),
        output: (err || out).trim().split("\n").slice(-8).join("\n"),
        hint: arch === process.arch ? undefined : "cross-compiling needs Bun's runtime for that target (downloaded once by bun build)",
      });
    }
    writeSidecar(join(temp, name), await sha256File(join(temp, name))); // the record of what was built
    try {
      renameSync(temp, dir);
    } catch {
      rmSync(temp, { recursive: true, force: true }); // another process built it at the same time
    }
    origin = `built in ${((performance.now() - began) / 1000).toFixed(1)} s into ${dir}`;
    pruneBuilds(dirname(dir), 3);
  } else {
    // in use: a build pruning in another process (another checkout) must leave it alone
    const now = new Date();
    try {
      utimesSync(dir, now, now);
    } catch {}
  }
  const sha256 = recordedSha(file);
  if (!sha256) throw new BatouError("the cached batou build has no valid sha256 record", { file, hint: `remove ${dir}` });
  return { dir, file, name, sha256, size: statSync(file).size, origin };
}

async function compiledSelf(arch: Arch): Promise<ShippableExecutable> {
  let source = process.execPath;
  if (arch !== process.arch) {
    source = join(dirname(process.execPath), `batou-linux-${arch}`);
    if (!existsSync(source)) {
      throw new BatouError(`no batou executable for linux-${arch} to ship`, {
        running: `${process.execPath} (linux-${process.arch})`,
        expected: source,
        hint: `build it with \`bun run build --target bun-linux-${arch}\` and place it beside batou`,
      });
    }
  }
  return shipFile(source, arch, `${basename(source)} (running executable)`);
}

/**
 * A directory holding just `source` as `batou-VERSION` (hard link, else a
 * copy), for rsync, with the sidecar of `sha256` (the signed manifest's), else
 * of the source's content hashed when the directory is made.
 */
async function shipFile(source: string, arch: Arch, origin: string, sha256?: string): Promise<ShippableExecutable> {
  const st = statSync(source);
  const name = executableName();
  const dir = join(cacheBase(), "ship", `${VERSION}-linux-${arch}-${st.size}-${Math.floor(st.mtimeMs)}`);
  const file = join(dir, name);
  const recorded = recordedSha(file);
  if (!recorded || (sha256 && recorded !== sha256)) {
    rmSync(dir, { recursive: true, force: true });
    const temp = `${dir}.tmp-${process.pid}`;
    rmSync(temp, { recursive: true, force: true });
    mkdirSync(temp, { recursive: true });
    try {
      linkSync(source, join(temp, name));
    } catch {
      copyFileSync(source, join(temp, name));
    }
    writeSidecar(join(temp, name), sha256 ?? (await sha256File(source)));
    try {
      renameSync(temp, dir);
    } catch {
      rmSync(temp, { recursive: true, force: true });
    }
  }
  return { dir, file, name, sha256: recordedSha(file) ?? sha256 ?? (await sha256File(file)), size: st.size, origin };
}

/** A build used within this time is never pruned (another checkout's run may be shipping it). */
const IN_USE_MS = 3600_000;

/**
 * Keeps the `keep` newest builds (each ~100 MB; a source change makes a new
 * one) and any used within the last hour (each use touches its folder), with
 * their compressed copies (~50 MB each); a compressed copy whose build is
 * gone goes too, and so does the `.tmp-PID` folder of a build whose process
 * was killed.
 */
export function pruneBuilds(base: string, keep: number, now = Date.now()): void {
  try {
    const entries = readdirSync(base, { withFileTypes: true });
    const builds = entries
      .filter((e) => e.isDirectory() && !e.name.includes(".tmp-"))
      .map((e) => ({ path: join(base, e.name), mtime: statSync(join(base, e.name)).mtimeMs }))
      .sort((a, b) => b.mtime - a.mtime);
    const old = builds.slice(keep).filter((b) => now - b.mtime > IN_USE_MS);
    for (const build of old) {
      rmSync(build.path, { recursive: true, force: true });
      rmSync(`${build.path}.sha256`, { force: true });
    }
    for (const e of entries) {
      const builder = /\.tmp-(\d+)$/.exec(e.name)?.[1];
      if (builder && !processAlive(Number(builder))) rmSync(join(base, e.name), { recursive: true, force: true });
    }
    const kept = new Set(builds.filter((b) => !old.includes(b)).map((b) => b.path));
    for (const e of entries) if (e.name.endsWith(".zst") && !kept.has(join(base, e.name.slice(0, -4)))) rmSync(join(base, e.name), { force: true });
  } catch {}
}

const compressing = new Map<string, Promise<string>>();

/**
 * A zstd-compressed copy of the executable (level 3: about 46% of the size,
 * ~0.7 s once per build), cached as `<dir>.zst` beside the directory rsync
 * ships, for hosts that have `zstd` to unpack a fresh executable.
 */
export function compressedExecutable(local: ShippableExecutable): Promise<string> {
  const path = `${local.dir}.zst`;
  let promise = compressing.get(path);
  if (!promise) {
    promise = (async () => {
      if (!existsSync(path)) {
        const compressed = await Bun.zstdCompress(await Bun.file(local.file).bytes(), { level: 3 });
        writeFileAtomic(path, compressed);
      }
      return path;
    })();
    compressing.set(path, promise);
    promise.catch(() => compressing.delete(path));
  }
  return promise;
}

const pending = new Map<Arch, Promise<ShippableExecutable>>();

/** The executable to ship for `arch` (built or located once per process). */
export function shippableExecutable(arch: Arch, log: (line: string) => void = () => {}): Promise<ShippableExecutable> {
  let promise = pending.get(arch);
  if (!promise) {
    const release = runningRelease();
    if (isCompiled()) promise = compiledSelf(arch);
    else if (release) promise = releaseExecutable(release, arch, log).then((file) => shipFile(file, arch, `release ${release.version}`, releaseExecutableSha256(release, arch)));
    else promise = build(arch, log);
    pending.set(arch, promise);
    promise.catch(() => pending.delete(arch));
  }
  return promise;
}
