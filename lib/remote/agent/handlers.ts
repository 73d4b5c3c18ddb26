/**
 * What the agent does for each request: take the target directory's lock,
 * fingerprint the shipped project, load and configure the environment, deploy
 * a root, append to the deployment history. Checked against the protocol's `Handlers` type (every method, the
 * right params and results).
 *
 * @module
 */
import { hostname } from "node:os";
import { join } from "node:path";
import { configure } from "../../engine/configure.ts";
import { deployTree } from "../../engine/deploy-component.ts";
import { type Environment, loadEnvironment } from "../../engine/environment.ts";
import { BatouError } from "../../engine/errors.ts";
import type { EventSink } from "../../engine/events.ts";
import { appendHistory, HISTORY_FILE } from "../../engine/history.ts";
import { type Acquired, acquireLock, ownLockInfo } from "../../engine/lock-file.ts";
import { REMOTE_LOCK_NAME } from "../commands.ts";
import { projectManifest } from "../ship/project-manifest.ts";
import type { Handlers, SetupParams, SetupResult } from "./protocol.ts";

/** What the handlers share with the rest of the agent. */
export interface AgentState {
  /** The shipped project (the target directory). */
  readonly projectRoot: string;
  /** Aborted when the agent stops: running deploys stop before their next component. */
  readonly stop: AbortSignal;
  /** Events of request `id` to the deploying machine. */
  readonly events: (id: number) => EventSink;
  /** Whether errors carry stack traces (setup's `debug`). */
  debug: boolean;
  lock?: Acquired;
}

/** The handlers of one agent. */
export function agentHandlers(state: AgentState) {
  let environment: Environment | undefined;
  let hostName: string | undefined;
  /** The setup in progress: deploy requests wait for it. */
  let setupDone: Promise<unknown> | undefined;

  async function setup(params: SetupParams): Promise<SetupResult> {
    const began = performance.now();
    state.debug = Boolean(params.debug);
    const loaded = await loadEnvironment({
      projectRoot: state.projectRoot,
      name: params.environment,
      platform: params.platform,
      timeout: params.timeout,
      workBase: join(state.projectRoot, "work"),
      secrets: params.secrets,
    });
    const host = loaded.hosts.get(params.host);
    if (!host) throw new BatouError(`the shipped environment has no host "${params.host}"`, { host: params.host, file: loaded.file });
    const result = configure(loaded, { scope: params.scope ? new Set(params.scope) : undefined });
    environment = loaded;
    hostName = params.host;
    return { roots: loaded.rootsOf(host).map((r) => r.name), configured: result.order.length, rounds: result.rounds, seconds: (performance.now() - began) / 1000 };
  }

  return {
    async lock({ owner }) {
      const info = ownLockInfo(owner.environment, { deployer: { user: owner.user, machine: owner.machine, pid: owner.pid } });
      state.lock = acquireLock(join(state.projectRoot, REMOTE_LOCK_NAME), info, `the target directory ${state.projectRoot} on ${hostname()}`);
      return { path: state.lock.path, tookOver: state.lock.tookOver };
    },

    async manifest({ excludes }) {
      return projectManifest(state.projectRoot, excludes);
    },

    async history({ entry }) {
      appendHistory(join(state.projectRoot, HISTORY_FILE), entry);
      return {};
    },

    setup(params) {
      const done = setup(params);
      setupDone = done.catch(() => {});
      return done;
    },

    async deploy({ root: name, predicting }, { id }) {
      await setupDone;
      if (!environment || !hostName) throw new BatouError("deploy before setup", { host: hostName });
      const root = environment.roots.find((r) => r.host.name === hostName && r.name === name);
      if (!root) throw new BatouError(`no root component "${name}" on this host`, { host: hostName, component: name });
      const changed = await deployTree(root, { predicting, emit: state.events(id), secretValues: environment.secretValues, stop: state.stop });
      return { changed };
    },
  } satisfies Handlers;
}
