/**
 * The per-environment secrets lock: `environments/<env>/.secrets.lock`, the
 * engine's lock file (lib/engine/lock-file.ts) with a `purpose`. A second editor
 * fails naming the holder; a lock left by a dead process on this machine is
 * taken over.
 */
import { basename, join, relative } from "node:path";
import { acquireLock, ownLockInfo } from "../engine/lock-file.ts";
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
  const lock = acquireLock(path, ownLockInfo(basename(envDir), { purpose }), `the secrets of ${display}`, {}, (owner) => {
    const who = `${owner.user}@${owner.machine} (pid ${owner.pid}, "${owner.purpose ?? "?"}", since ${owner.time})`;
    return new SecretsError(
      `the secrets of this environment are locked by ${who}: ${display}. ` +
        `Try again when they are done, or remove ${display} if that process is gone.`,
    );
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
