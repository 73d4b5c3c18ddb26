/**
 * What the agent does for each request: take the target directory's lock,
 * fingerprint the shipped project (listing it when it differs from the
 * deploying machine's), apply a project sync, load and configure the
 * environment, deploy a root, append to the deployment history. Checked against the protocol's `Handlers` type
 * (every method, the right params and results).
 *
 * The deploying machine sends lock, manifest, (sync,) setup without waiting
 * for answers: they are done in the order they came ({@link inOrder}), and
 * once one failed the later ones are refused, so a held lock stops the rest.
 * Deploys wait for the setup; several may run at once.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { configure } from "../../engine/configure.ts";
import { deployTree, verifyTree } from "../../engine/deploy-component.ts";
import { type Environment, loadEnvironment } from "../../engine/environment.ts";
import { BatouError } from "../../engine/errors.ts";
import type { EventSink } from "../../engine/events.ts";
import { appendHistory, HISTORY_FILE } from "../../engine/history.ts";
import { type Acquired, acquireLock, ownLockInfo } from "../../engine/lock-file.ts";
import { PROJECT_EXCLUDES, REMOTE_LOCK_NAME } from "../commands.ts";
import { manifestEntries, manifestOf } from "../ship/project-manifest.ts";
import { applySync } from "../ship/project-sync.ts";
import { Tally } from "../../engine/tally.ts";
import type { AgentUsage, HistoryBase, Handlers, SetupParams, SetupResult, SpeculateParams, Speculation } from "./protocol.ts";

/** What the handlers share with the rest of the agent. */
export interface AgentState {
  /** The shipped project (the target directory). */
  readonly projectRoot: string;
  /** Aborted when the agent stops: running deploys stop before their next component. */
  readonly stop: AbortSignal;
  /** Events of request `id` to the deploying machine (tagged with `root`: a speculative verify's). */
  readonly events: (id: number, root?: string) => EventSink;
  /** While the deploying machine has not taken the events sent so far: resolves when it did (a deploy waits between components). */
  readonly room?: () => Promise<void> | undefined;
  /** Ends the agent once the current answers are sent (after the last deploy). */
  readonly finish: () => void;
  /** Whether errors carry stack traces (setup's `debug`). */
  debug: boolean;
  lock?: Acquired;
}

/**
 * Events of the deploys between two young-generation collections (a 100-file tree: none).
 * 250 rather than 1,000: a 10,000-file deploy's peak ~3 MiB lower for ~40 cheap collections.
 */
const GC_EVERY_EVENTS = 250;

/** This process's peak resident memory (Linux `VmHWM`, bytes); undefined elsewhere. */
function peakRss(): number | undefined {
  try {
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
    return kb ? Number(kb) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** What the agent used so far: peak memory and CPU seconds. */
function usage(): AgentUsage {
  const { user, system } = process.cpuUsage();
  return { peakRss: peakRss(), cpuSeconds: (user + system) / 1e6 };
}

/** The handlers of one agent. */
export function agentHandlers(state: AgentState) {
  let environment: Environment | undefined;
  let hostName: string | undefined;
  /** The latest setup: deploy requests wait for it. */
  let configured: Promise<unknown> = Promise.resolve();
  /** The session requests in the order they came; why they stopped, once one failed. */
  let session: Promise<unknown> = Promise.resolve();
  let stopped: string | undefined;
  const running = new Set<Promise<unknown>>();
  /** The shipped project's fingerprint (with the excludes the deploying machine named), once computed. */
  let excludes = PROJECT_EXCLUDES;
  let shipped: string | undefined;
  const fingerprint = () => (shipped ??= manifestOf(manifestEntries(state.projectRoot, excludes)).hash);
  /** For the history entry the agent appends after the last deploy: what the deploys did here. */
  let history: HistoryBase | undefined;
  const tally = new Tally();
  let emitted = 0;
  let failed = false;

  /** Runs `work` after the session requests before it; refuses it once one of them failed. */
  function inOrder<T>(method: string, work: () => Promise<T> | T): Promise<T> {
    const done = session.then(() => {
      if (stopped) throw new BatouError(`${method} not done: ${stopped} before it`);
      return work();
    });
    session = done.catch(() => (stopped ??= `${method} failed`));
    return done;
  }

  /** A young-generation collection now and then (see GC_EVERY_EVENTS). */
  const counted = (sink: EventSink): EventSink => (event) => {
    tally.count(event);
    sink(event);
    // a big tree's verify garbage (file bytes, events) otherwise piles up to the peak before Bun collects (10,000 files: ~20 MB less)
    if (++emitted % GC_EVERY_EVENTS === 0) Bun.gc(false);
  };

  /**
   * Verifies this host's roots right after configuring, read-only (verifyTree):
   * which need nothing. Their events go out tagged with the root; the deploying
   * side replays them at the root's turn instead of asking for its deploy.
   */
  async function speculate(env: Environment, host: string, { predicting, finish }: SpeculateParams, id: number): Promise<Speculation> {
    const nothing: string[] = [];
    const roots = env.roots.filter((root) => root.host.name === host && !root.ignore);
    for (const root of roots) {
      const emit = counted(state.events(id, root.name));
      if (await verifyTree(root, { predicting, emit, secretValues: env.secretValues, stop: state.stop, room: state.room })) nothing.push(root.name);
    }
    if (!finish || nothing.length < roots.length) return { nothing, ...usage() };
    // nothing to do here, and nothing elsewhere this host depends on: the host's run ends now, without a round trip
    const recorded = await finishAfter(undefined, predicting);
    return { nothing, finished: true, recorded, ...usage() };
  }

  async function setup(params: SetupParams, id: number): Promise<SetupResult> {
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
    const seconds = (performance.now() - began) / 1000;
    const speculation = params.speculate ? await speculate(loaded, params.host, params.speculate, id) : undefined;
    return { roots: loaded.rootsOf(host).map((r) => r.name), configured: result.order.length, rounds: result.rounds, seconds, speculation };
  }

  /**
   * The last deploy ended: when no other runs, append this run to the history
   * (as the deploying machine would: not for -P, not after a stop), release
   * the lock (before its answer) and end after answering. Whether it appended.
   */
  async function finishAfter(deploy: Promise<unknown> | undefined, predicting: boolean): Promise<boolean> {
    await Promise.allSettled([...running].filter((other) => other !== deploy));
    const record = history && hostName && !predicting && !state.stop.aborted;
    if (record) appendHistory(join(state.projectRoot, HISTORY_FILE), { ...history!, host: hostName!, ok: !failed, changed: tally.changes.get(hostName!) ?? [] });
    state.lock?.release();
    state.lock = undefined;
    setTimeout(state.finish, 0); // after the answer is written
    return Boolean(record);
  }

  return {
    lock({ owner }) {
      return inOrder("lock", () => {
        const info = ownLockInfo(owner.environment, { deployer: { user: owner.user, machine: owner.machine, pid: owner.pid } });
        state.lock = acquireLock(join(state.projectRoot, REMOTE_LOCK_NAME), info, `the target directory ${state.projectRoot} on ${hostname()}`);
        return { path: state.lock.path, tookOver: state.lock.tookOver };
      });
    },

    manifest(params) {
      return inOrder("manifest", () => {
        excludes = params.excludes;
        const entries = manifestEntries(state.projectRoot, excludes);
        const manifest = manifestOf(entries);
        shipped = manifest.hash;
        return params.expect !== undefined && params.expect !== manifest.hash ? { ...manifest, list: entries } : manifest;
      });
    },

    sync(params) {
      return inOrder("sync", () => {
        shipped = undefined;
        return applySync(state.projectRoot, params);
      });
    },

    async history({ entry }) {
      appendHistory(join(state.projectRoot, HISTORY_FILE), entry);
      return {};
    },

    async finish({ predicting }) {
      return { recorded: await finishAfter(undefined, predicting), ...usage() };
    },

    setup(params, { id }) {
      const done = inOrder("setup", async () => {
        const { project, history: base, ...rest } = params;
        history = base;
        // a project that is not the one the deploying machine configured is never loaded
        if (project !== undefined && fingerprint() !== project) return { stale: true as const };
        return setup(rest, id);
      });
      configured = done;
      return done;
    },

    async deploy({ root: name, predicting, last }, { id }) {
      const events = state.events(id);
      const task = (async () => {
        const ready = await configured;
        if (!environment || !hostName || (ready as { stale?: boolean }).stale) throw new BatouError("deploy before setup", { host: hostName });
        const root = environment.roots.find((r) => r.host.name === hostName && r.name === name);
        if (!root) throw new BatouError(`no root component "${name}" on this host`, { host: hostName, component: name });
        const changed = await deployTree(root, { predicting, emit: counted(events), secretValues: environment.secretValues, stop: state.stop, room: state.room });
        return { changed, ...usage() } as { changed: number; recorded?: boolean } & AgentUsage;
      })();
      running.add(task);
      try {
        const result = await task;
        if (last) result.recorded = await finishAfter(task, predicting);
        return result;
      } catch (error) {
        failed = true;
        if (last) await finishAfter(task, predicting);
        throw error;
      } finally {
        running.delete(task);
      }
    },
  } satisfies Handlers;
}
