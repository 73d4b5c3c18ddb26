/**
 * Deploys root components in resource order (providers first), up to `jobs`
 * at once across all hosts. A root starts when every root it depends on is
 * done; ignored roots and the roots of hosts without a connection (ignored,
 * or left out with --hosts/--exclude-hosts) are skipped but still unblock
 * their dependents. The first failure stops new work; running roots finish.
 *
 * A root its host verified ahead and found nothing to do for
 * (HostConnection.speculated) is replayed instead of deployed when nothing
 * its verify could see changed before its turn: no root it depends on (on
 * any host, transitively) changed, and no other root of its host changed or
 * is being deployed. Under -P nothing changes, so such a root is always
 * replayed.
 */
import type { HostConnection } from "./connection.ts";
import type { EventSink } from "./events.ts";
import type { RootComponent } from "./root.ts";

export interface ScheduleOptions {
  jobs: number;
  predicting: boolean;
  emit: EventSink;
}

export interface ScheduleResult {
  /** The first failure, if any: the run stopped after it. */
  error?: unknown;
  failedRoot?: RootComponent;
}

/** Deploys `order` through `connections` (host name → connection, for the hosts to deploy); resolves when nothing runs any more. */
export async function scheduleRoots(
  order: RootComponent[],
  dependencies: Map<RootComponent, Set<RootComponent>>,
  connections: ReadonlyMap<string, HostConnection>,
  options: ScheduleOptions,
): Promise<ScheduleResult> {
  const remaining = new Map(order.map((root) => [root, new Set(dependencies.get(root) ?? [])]));
  const result: ScheduleResult = {};
  const running = new Set<Promise<void>>();
  const started = new Set<RootComponent>();
  /** Roots that changed something, and roots deployed (not replayed) right now. */
  const changedRoots = new Set<RootComponent>();
  const deploying = new Set<RootComponent>();

  /** Whether something `root`'s verify could see changed in this run (see the module comment). */
  const touched = (root: RootComponent): boolean => {
    for (const other of [...changedRoots, ...deploying]) if (other.host === root.host) return true;
    const seen = new Set<RootComponent>();
    const changedBelow = (r: RootComponent): boolean =>
      [...(dependencies.get(r) ?? [])].some((dep) => !seen.has(dep) && (seen.add(dep), changedRoots.has(dep) || changedBelow(dep)));
    return changedBelow(root);
  };

  const finish = (root: RootComponent) => {
    remaining.delete(root);
    for (const deps of remaining.values()) deps.delete(root);
  };

  const deployOne = async (root: RootComponent) => {
    const began = performance.now();
    options.emit({ event: "root", host: root.host.name, root: root.name, status: "start" });
    const connection = connections.get(root.host.name)!;
    const replay = Boolean(connection.speculated?.(root.name)) && (options.predicting || !touched(root));
    if (!replay) deploying.add(root);
    try {
      const changed = await connection.deploy({ root: root.name, predicting: options.predicting, replay }, options.emit);
      if (changed > 0) changedRoots.add(root);
      options.emit({ event: "root", host: root.host.name, root: root.name, status: "done", changed, seconds: (performance.now() - began) / 1000 });
    } catch (error) {
      result.error ??= error;
      result.failedRoot ??= root;
      changedRoots.add(root); // what it did before failing is not known
    }
    deploying.delete(root);
    finish(root);
  };

  while (remaining.size > 0 && result.error === undefined) {
    let launched = false;
    for (const [root, deps] of remaining) {
      if (started.has(root) || deps.size > 0) continue;
      const skip = root.ignore ? "skip-component" : connections.has(root.host.name) ? undefined : root.host.ignore ? "skip-host" : "skip-excluded";
      if (skip) {
        started.add(root);
        options.emit({ event: "root", host: root.host.name, root: root.name, status: skip });
        finish(root);
        launched = true;
        continue;
      }
      if (running.size >= Math.max(1, options.jobs)) break;
      started.add(root);
      const task: Promise<void> = deployOne(root).finally(() => running.delete(task));
      running.add(task);
      launched = true;
    }
    if (running.size > 0) await Promise.race(running);
    else if (!launched) break; // nothing runnable: dependencies were checked for cycles before
  }
  await Promise.all(running);
  return result;
}
