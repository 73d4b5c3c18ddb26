/**
 * `batou lock release ENV`: removes the deployment lock of an environment on
 * this machine (`work/.batou-lock-ENV`) when no deployment holds it any more.
 * It refuses a lock whose deployment still runs on this machine, and anything
 * at the lock's path that is not a lock file. Hosts' locks are not touched:
 * their agent releases them, and a later deploy takes over one whose agent is
 * gone (docs/cli.md).
 */
import { relative } from "node:path";
import { locateEnvironment } from "../../engine/environment-file.ts";
import { describeHolder, environmentLockPath, inspectLock, LockError, removeLockIf } from "../../engine/lock-file.ts";
import { findProjectRoot } from "../../project-root.ts";
import { defineCommand, defineGroup } from "../command.ts";
import { say } from "../output.ts";

const release = defineCommand({
  name: "release",
  summary: "remove the deployment lock of ENV on this machine when its deployment is gone",
  description: `Removes work/.batou-lock-ENV, the lock a deployment of ENV holds on this
machine, when no deployment holds it any more: its process is gone, it was
taken on another machine (a shared or copied work/), or it is no lock at all.
Refuses while the deployment that holds it still runs here (stop that one
instead), and when the path is a directory or symlink. Hosts' locks are not
touched: their agent releases them, and the next deploy takes over a host's
lock whose agent is gone.`,
  arguments: [{ name: "ENV" }],
  async run({ args }) {
    const projectRoot = findProjectRoot();
    const environment = args[0]!.replace(/\.toml$/, "");
    locateEnvironment(projectRoot, environment);
    const path = environmentLockPath(projectRoot, environment);
    const lock = relative(projectRoot, path);
    const cannot = `cannot release the lock of environment "${environment}"`;
    const state = inspectLock(path);
    if (state.kind === "free") {
      say(`batou lock: environment "${environment}" is not locked on this machine (no ${lock})`);
      return 0;
    }
    if (state.kind === "not-a-file") {
      throw new LockError(`${cannot}: ${lock} is a ${state.type}, not a lock file`, { lock, hint: "batou never removes it; remove it by hand" });
    }
    if (state.kind === "held" && state.thisMachine && !state.stale) {
      throw new LockError(`${cannot}: the deployment that holds it is still running`, {
        "held by": describeHolder(state.holder),
        lock,
        hint: `stop it (Ctrl-C where it runs, or kill ${state.holder.pid}); it releases its lock when it ends`,
      });
    }
    if (!removeLockIf(path, state.text)) {
      throw new LockError(`${cannot}: it changed while batou looked at it`, { lock, hint: "run batou lock release again" });
    }
    const what =
      state.kind === "garbage"
        ? "which held no lock information"
        : state.thisMachine
          ? `held by ${describeHolder(state.holder)}, whose process is gone`
          : `held by ${describeHolder(state.holder)} on another machine`;
    say(`batou lock: released the lock of environment "${environment}" (${lock}), ${what}`);
    return 0;
  },
});

export const lockCommand = defineGroup({
  name: "lock",
  summary: "deployment locks",
  description: "Deployment locks: one per environment on the deploying machine, one per target directory on each host.",
  commands: [release],
});
