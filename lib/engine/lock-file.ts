/**
 * Deployment locks: a JSON file created with O_EXCL that says who holds it
 * (user, machine, pid, time, batou version, environment). Used for the
 * per-environment lock on the deploying machine (`work/.batou-lock-ENV`) and
 * for the lock in each host's target directory (`.batou-lock`, held by the
 * agent). A lock whose holder process is gone (same machine, pid dead or
 * reused) is stale and taken over with a warning; a live one is an error that
 * names the holder.
 *
 * @module
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { hostname, userInfo } from "node:os";
import { dirname } from "node:path";
import { BatouError } from "./errors.ts";
import { VERSION } from "../version.ts";

export interface LockInfo {
  user: string;
  machine: string;
  pid: number;
  /** Kernel start time of `pid` (Linux), to tell a reused pid from the holder. */
  pidStart?: string;
  time: string;
  version: string;
  environment: string;
  /** Remote locks: who deploys (the deploying machine's user/machine/pid). */
  deployer?: { user: string; machine: string; pid: number };
  /** What the holder does, when it is not a deployment (e.g. "batou secrets edit prod"). */
  purpose?: string;
}

export class LockError extends BatouError {
  override name = "LockError";
}

/** Field 22 of /proc/PID/stat (start time in clock ticks); undefined off Linux. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The user this process runs as (by uid: /etc/passwd, since $USER may be unset or stale under sudo). */
export function currentUser(): string {
  const uid = process.getuid?.();
  if (uid !== undefined) {
    try {
      for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
        const fields = line.split(":");
        if (fields[2] === String(uid)) return fields[0]!;
      }
    } catch {}
  }
  try {
    const name = userInfo().username;
    if (name && name !== "unknown") return name;
  } catch {}
  return process.env.USER ?? process.env.LOGNAME ?? String(uid ?? "?");
}

/** Lock info for this process. */
export function ownLockInfo(environment: string, extra: Partial<LockInfo> = {}): LockInfo {
  return {
    user: currentUser(),
    machine: hostname(),
    pid: process.pid,
    pidStart: processStartTime(process.pid),
    time: new Date().toISOString(),
    version: VERSION,
    environment,
    ...extra,
  };
}

/** Whether a lock's holder is gone: only decidable on the holder's machine. */
export function isStale(info: LockInfo): boolean {
  if (info.machine !== hostname()) return false;
  if (!processAlive(info.pid)) return true;
  const start = processStartTime(info.pid);
  return Boolean(info.pidStart && start && start !== info.pidStart);
}

export function describeHolder(info: Partial<LockInfo>): string {
  const who = `${info.user ?? "?"}@${info.machine ?? "?"} (pid ${info.pid ?? "?"}, batou ${info.version ?? "?"})`;
  const by = info.deployer ? `, deploying from ${info.deployer.user}@${info.deployer.machine} (pid ${info.deployer.pid})` : "";
  return `${who}${by} since ${info.time ?? "?"}`;
}

function readLock(path: string): LockInfo | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as LockInfo;
  } catch {
    return undefined;
  }
}

export interface Acquired {
  path: string;
  info: LockInfo;
  /** The stale lock that was taken over, if any. */
  tookOver?: LockInfo;
  release(): void;
}

/**
 * Takes the lock at `path` or throws a LockError naming the holder. `what`
 * describes the lock for messages ("environment prod", "target directory ...");
 * `refuse` builds another error for a live holder instead.
 */
export function acquireLock(
  path: string,
  info: LockInfo,
  what: string,
  context: Record<string, string> = {},
  refuse: (holder: LockInfo) => Error = (holder) => held(holder, what, path, context),
): Acquired {
  mkdirSync(dirname(path), { recursive: true });
  let tookOver: LockInfo | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, "wx", 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = readLock(path);
      if (holder === undefined) {
        // Being written right now, or garbage: give the writer a moment, then treat garbage as stale.
        Bun.sleepSync(50);
        const again = readLock(path);
        if (again === undefined) {
          rmSync(path, { force: true });
          continue;
        }
        if (!isStale(again)) throw refuse(again);
        tookOver = again;
      } else if (!isStale(holder)) {
        throw refuse(holder);
      } else tookOver = holder;
      rmSync(path, { force: true });
      continue;
    }
    try {
      writeSync(fd, JSON.stringify(info, null, 2) + "\n");
    } finally {
      closeSync(fd);
    }
    return {
      path,
      info,
      tookOver,
      release: () => {
        const current = readLock(path);
        if (current && current.pid === info.pid && current.time === info.time) rmSync(path, { force: true });
      },
    };
  }
  throw new LockError(`could not take the lock of ${what}`, { ...context, lock: path });
}

function held(holder: LockInfo, what: string, path: string, context: Record<string, string>): LockError {
  return new LockError(`${what} is locked by another deployment`, {
    ...context,
    "held by": describeHolder(holder),
    environment: holder.environment,
    lock: path,
    hint: "wait for it to finish; a lock whose process is gone is taken over automatically",
  });
}
