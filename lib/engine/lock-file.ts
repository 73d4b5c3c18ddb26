/**
 * Deployment locks: a JSON file created with O_EXCL that says who holds it
 * (user, machine, pid, time, batou version, environment). Used for the
 * per-environment lock on the deploying machine (`work/.batou-lock-ENV`) and
 * for the lock in each host's target directory (`.batou-lock`, held by the
 * agent), and for the secrets edit lock. A lock whose holder process is gone
 * (same machine, pid dead or reused) is stale and taken over with a warning,
 * as is a file that holds no lock (`{}`, not JSON); a live one is an error
 * that names the holder and, when it ran on another machine, how to remove it.
 *
 * @module
 */
import { closeSync, lstatSync, mkdirSync, openSync, readFileSync, rmSync, type Stats, writeSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { BatouError } from "./errors.ts";
import { VERSION } from "../version.ts";
import { currentUser, processAlive, processStartTime } from "./process-info.ts";

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

/** The lock a deployment of `environment` holds on the deploying machine: `work/.batou-lock-ENV`. */
export function environmentLockPath(projectRoot: string, environment: string): string {
  return join(projectRoot, "work", `.batou-lock-${environment}`);
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

/** What is at a lock's path. */
export type LockState =
  | { kind: "free" }
  /** A lock file naming its holder; `stale`: on this machine and its process is gone. */
  | { kind: "held"; holder: LockInfo; text: string; stale: boolean; thisMachine: boolean }
  /** A file that is no lock: empty (being written), not JSON, or JSON without a holder (`{}`). */
  | { kind: "garbage"; text: string }
  /** A directory, symlink, socket, ...: never read, never removed. */
  | { kind: "not-a-file"; type: string };

function isLockInfo(value: unknown): value is LockInfo {
  const info = value as Partial<LockInfo> | null;
  return (
    typeof info === "object" &&
    info !== null &&
    typeof info.machine === "string" &&
    typeof info.user === "string" &&
    typeof info.time === "string" &&
    Number.isInteger(info.pid) &&
    info.pid! > 0
  );
}

function fileType(stat: Stats): string {
  if (stat.isDirectory()) return "directory";
  if (stat.isSymbolicLink()) return "symlink";
  return "special file";
}

/** Looks at `path` without following a symlink. */
export function inspectLock(path: string): LockState {
  let stat: Stats;
  try {
    stat = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { kind: "free" };
    throw error;
  }
  if (!stat.isFile()) return { kind: "not-a-file", type: fileType(stat) };
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { kind: "free" };
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { kind: "garbage", text };
  }
  if (!isLockInfo(parsed)) return { kind: "garbage", text };
  return { kind: "held", holder: parsed, text, stale: isStale(parsed), thisMachine: parsed.machine === hostname() };
}

/**
 * Removes the lock at `path` if it still holds `text` (what the caller judged),
 * so a lock another process took meanwhile stays. Returns whether it removed it.
 */
export function removeLockIf(path: string, text: string): boolean {
  const now = inspectLock(path);
  if (now.kind !== "held" && now.kind !== "garbage") return false;
  if (now.text !== text) return false;
  rmSync(path, { force: true });
  return true;
}

export interface Acquired {
  path: string;
  info: LockInfo;
  /** The stale lock that was taken over, if any. */
  tookOver?: LockInfo;
  release(): void;
}

export interface LockOptions {
  /** Rows added to the error (e.g. `host`). */
  context?: Record<string, string>;
  /** Builds another error for a live holder instead of the default LockError. */
  refuse?: (holder: LockInfo) => Error;
  /**
   * What a user does to remove a lock batou cannot judge (its holder ran on
   * another machine), e.g. "run `batou lock release prod`" (default: "remove PATH").
   */
  release?: string;
}

/**
 * Takes the lock at `path` or throws a LockError naming the holder. `what`
 * describes the lock for messages ("environment prod", "target directory ...").
 * A stale lock (holder on this machine, process gone) and a file that is no
 * lock at all are taken over; a lock from another machine is refused with
 * how to remove it; a path that is a directory or symlink is an error.
 */
export function acquireLock(path: string, info: LockInfo, what: string, options: LockOptions = {}): Acquired {
  const context = options.context ?? {};
  const refuse = options.refuse ?? ((holder: LockInfo) => held(holder, what, path, context, options.release ?? `remove ${path}`));
  mkdirSync(dirname(path), { recursive: true });
  let tookOver: LockInfo | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, "wx", 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      let state = inspectLock(path);
      if (state.kind === "garbage") {
        // Being written right now (empty), or garbage: give the writer a moment, then take garbage over.
        Bun.sleepSync(50);
        state = inspectLock(path);
      }
      if (state.kind === "not-a-file") {
        throw new LockError(`cannot lock ${what}: its lock path is a ${state.type}, not a lock file`, {
          ...context,
          lock: path,
          hint: `batou never removes it; remove it by hand if nothing else needs it`,
        });
      }
      if (state.kind === "held") {
        if (!state.stale) throw refuse(state.holder);
        tookOver = state.holder;
      }
      if (state.kind !== "free") removeLockIf(path, state.text);
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
        const current = inspectLock(path);
        if (current.kind === "held" && current.holder.pid === info.pid && current.holder.time === info.time) rmSync(path, { force: true });
      },
    };
  }
  throw new LockError(`cannot take the lock of ${what}: it changed hands three times`, { ...context, lock: path });
}

function held(holder: LockInfo, what: string, path: string, context: Record<string, string>, release: string): LockError {
  const here = holder.machine === hostname();
  return new LockError(`${what} is locked by another deployment`, {
    ...context,
    "held by": describeHolder(holder),
    environment: holder.environment,
    lock: path,
    hint: here
      ? `wait for it to finish (pid ${holder.pid} is running on this machine); a lock whose process is gone is taken over automatically`
      : `it was taken on ${holder.machine}, and batou cannot tell from ${hostname()} whether that process still runs; if it does not, ${release}`,
  });
}
