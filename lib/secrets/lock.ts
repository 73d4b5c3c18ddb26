/**
 * The per-environment secrets lock: `environments/<env>/.secrets.lock`, created
 * exclusively and holding who holds it. A second editor fails naming the holder; a lock
 * left by a dead process on this host is taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join, relative } from "node:path";
import { currentUser, processAlive } from "../engine/lock.ts";
import { SecretsError } from "./errors.ts";

/** File name of the lock inside an environment folder (git-ignore it). */
export const LOCK_FILE = ".secrets.lock";

/** Who holds a lock. */
export interface LockOwner {
  user: string;
  host: string;
  pid: number;
  since: string;
  purpose: string;
}

/** A held lock; `release()` is idempotent. */
export interface SecretsLock {
  path: string;
  release(): void;
}

function readOwner(path: string): LockOwner | null {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as LockOwner;
  } catch {
    return null;
  }
}

/**
 * Locks the secrets in `envDir` for `purpose` (e.g. "batou secrets edit prod").
 * Throws a {@link SecretsError} naming the holder when someone else has it.
 */
export function lockSecrets(envDir: string, purpose: string, projectRoot?: string): SecretsLock {
  const path = join(envDir, LOCK_FILE);
  const display = projectRoot ? relative(projectRoot, path) : path;
  const me: LockOwner = { user: currentUser(), host: hostname(), pid: process.pid, since: new Date().toISOString(), purpose };
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, "wx", 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = readOwner(path);
      if (owner && owner.host === me.host && owner.pid !== me.pid && !processAlive(owner.pid) && attempt === 0) {
        rmSync(path, { force: true }); // left behind by a process that is gone
        continue;
      }
      const who = owner
        ? `${owner.user}@${owner.host} (pid ${owner.pid}, "${owner.purpose}", since ${owner.since})`
        : "an unknown holder";
      throw new SecretsError(
        `the secrets of this environment are locked by ${who}: ${display}. ` +
          `Try again when they are done, or remove ${display} if that process is gone.`,
      );
    }
    writeSync(fd, `${JSON.stringify(me)}\n`);
    closeSync(fd);
    let released = false;
    return {
      path,
      release() {
        if (released) return;
        released = true;
        if (readOwner(path)?.pid === me.pid) rmSync(path, { force: true });
      },
    };
  }
  throw new SecretsError(`could not lock ${display}`);
}
