/**
 * The per-environment secrets lock: `environments/<env>/.secrets.lock`, the
 * engine's lock file (lib/engine/lock-file.ts) with a `purpose`. A second editor
 * fails naming the holder; a lock left by a dead process on this machine is
 * taken over.
 */
import { basename, join, relative } from "node:path";
import { readFileSync } from "node:fs";
import { acquireLock, isStale, type LockInfo, ownLockInfo } from "../engine/lock-file.ts";
import { escapeForTerminal } from "../terminal.ts";
import { SecretsError } from "./secrets-error.ts";

/** File name of the lock inside an environment folder (git-ignore it). */
export const LOCK_FILE = ".secrets.lock";

/** A held lock; `release()` is idempotent. */
export interface SecretsLock {
  path: string;
  release(): void;
}

/**
 * Locks the secrets in `envDir` for `purpose` (e.g. "batou secrets edit prod").
 * Throws a {@link SecretsError} naming the holder when someone else has it.
 */
export function lockSecrets(envDir: string, purpose: string, projectRoot?: string): SecretsLock {
  const path = join(envDir, LOCK_FILE);
  const display = projectRoot ? relative(projectRoot, path) : path;
  const lock = acquireLock(path, ownLockInfo(basename(envDir), { purpose }), `the secrets of ${display}`, {
    refuse: (owner) => {
      const who = describeEditor(owner);
      return new SecretsError(
        `the secrets of this environment are locked by ${who}: ${display}. ` +
          `Try again when they are done, or remove ${display} if that process is gone.`,
      );
    },
  });
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      lock.release();
    },
  };
}

function describeEditor(owner: Partial<LockInfo>): string {
  const { user = "?", machine = "?", pid = "?", purpose = "?", time = "?" } = owner;
  return escapeForTerminal(`${user}@${machine} (pid ${pid}, "${purpose}", since ${time})`);
}

/** Who holds the secrets lock of `envDir` right now (a live holder), for a warning; else undefined. */
export function editLockHolder(envDir: string): string | undefined {
  let owner: LockInfo;
  try {
    owner = JSON.parse(readFileSync(join(envDir, LOCK_FILE), "utf8")) as LockInfo;
  } catch {
    return undefined; // no lock, or one being written or unreadable: nobody to name
  }
  if (typeof owner !== "object" || owner === null || isStale(owner)) return undefined;
  return describeEditor(owner);
}
