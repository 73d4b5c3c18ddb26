/**
 * Deploys one component tree: children first, then `verify()`; when verify
 * says an update is needed, `before-update` handlers run and then `update()`
 * (never under `-P`). Every verified component is reported as an event.
 */
import { existsSync, mkdirSync } from "node:fs";
import { type Component, internals } from "./component.ts";
import { BatouError, CommandError, DeploymentError, UpdateNeeded, userFrame } from "./errors.ts";
import type { DeploySession } from "./events.ts";
import type { RootComponent } from "./root.ts";
import { stopRequested } from "./stop-point.ts";

function needsUpdate(error: unknown): boolean {
  if (error instanceof UpdateNeeded) return true;
  const e = error as { name?: string; code?: string };
  return e?.name === "AssertionError" || e?.code === "ERR_ASSERTION";
}

/** Wraps a failure of verify()/update() so it names host, component and the user's line. */
function deployFailure(error: unknown, component: Component, step: string): BatouError {
  const frame = userFrame(error, component.environment.projectRoot);
  const context = { host: component.host.name, component: component.breadcrumbs, step };
  if (error instanceof CommandError) {
    return new DeploymentError(error.message, { ...frame, ...error.context, ...context, stdout: error.stdout.trim().slice(-2000) || undefined });
  }
  if (error instanceof BatouError) return new DeploymentError(error.message, { ...frame, ...error.context, ...context });
  const e = error as Error;
  return new DeploymentError(`${step}() failed: ${e?.message ?? String(error)}`, { ...context, ...frame }, { cause: error });
}

/** One root's deployment: its session, and where the before-update handlers are. */
interface RootRun {
  session: DeploySession;
  /** Every component of the tree → its position in pre-order. */
  position: Map<Component, number>;
  /** Components with before-update handlers, in pre-order. */
  listeners: Component[];
  /** A speculative verify ({@link verifyTree}): stop at the first component that needs an update. */
  speculative?: boolean;
}

/** Thrown through a speculative verify at the first component that needs an update. */
class NeedsUpdate extends Error {}

function prepareRun(top: Component, session: DeploySession): RootRun {
  const run: RootRun = { session, position: new Map(), listeners: [] };
  const visit = (component: Component) => {
    run.position.set(component, run.position.size);
    if (internals(component).handlers.some((h) => h.event === "before-update")) run.listeners.push(component);
    for (const child of component.subComponents) visit(child);
  };
  visit(top);
  return run;
}

async function triggerBeforeUpdate(trigger: Component, run: RootRun): Promise<void> {
  const { session } = run;
  const triggerAt = run.position.get(trigger)!;
  for (const candidate of run.listeners) {
    // "*" handlers hear every update, the trigger's own included; "precursor"
    // handlers only updates of components strictly before them in the tree.
    const after = run.position.get(candidate)! > triggerAt;
    for (const { event, scope, handler } of internals(candidate).handlers) {
      if (event !== "before-update") continue;
      if (scope === "precursor" && !after) continue;
      if (session.predicting) {
        session.emit({ event: "log", host: candidate.host.name, component: candidate.breadcrumbs, message: `would trigger before-update (from ${trigger.breadcrumbs})` });
      } else {
        // the handler's this.log() is reported now, also before its component deployed
        internals(candidate).session = session;
        await handler(trigger);
      }
    }
  }
}

/**
 * Before each component: waits while the events' reader is behind (`room`), lets pending I/O
 * and signals in (stop-point.ts), then stops the tree when the session says so. The component
 * before has finished its file.
 */
async function checkpoint(component: Component, session: DeploySession): Promise<void> {
  const behind = session.room?.();
  if (behind) await behind;
  if (await stopRequested(session.stop)) {
    throw new DeploymentError(`the deployment was stopped before ${component.breadcrumbs}`, { host: component.host.name, component: component.breadcrumbs, stopped: "yes" });
  }
}

/** Deploys `component` and its children; returns how many components changed. */
async function deployComponent(component: Component, run: RootRun): Promise<number> {
  const { session } = run;
  await checkpoint(component, session);
  const state = internals(component);
  state.changed = false;
  state.session = session;
  const began = performance.now();
  let changedCount = 0;
  for (const child of component.subComponents) {
    changedCount += await deployComponent(child, run);
    if (child.changed) state.changed = true;
  }
  let update = false;
  try {
    await component.verify(session.predicting);
  } catch (error) {
    if (!needsUpdate(error)) throw deployFailure(error, component, "verify");
    update = true;
  }
  if (update && run.speculative) throw new NeedsUpdate();
  if (update) {
    await triggerBeforeUpdate(component, run);
    if (!session.predicting) {
      try {
        await component.update();
      } catch (error) {
        throw deployFailure(error, component, "update");
      }
    }
    state.changed = true;
    changedCount++;
  }
  session.emit({
    event: "component",
    host: component.host.name,
    component: component.breadcrumbs,
    root: component.root.name,
    changed: state.changed,
    updated: update,
    seconds: (performance.now() - began) / 1000,
  });
  return changedCount;
}

/** Deploys the component tree of a configured root; returns the number of changed components. */
export async function deployTree(root: RootComponent, session: DeploySession): Promise<number> {
  const component = root.component;
  if (!component) throw new DeploymentError(`root component ${root.id} is not configured`);
  if (!existsSync(root.workdir)) {
    // Under -P nothing is created; commands run in a stand-in instead (see cmd.ts).
    if (session.predicting) session.emit({ event: "log", host: root.host.name, component: component.breadcrumbs, message: `would create the work directory ${root.workdir}` });
    else mkdirSync(root.workdir, { recursive: true });
  }
  return deployComponent(component, prepareRun(component, session));
}

/**
 * A speculative verify of a configured root, as its deploy would begin it
 * (children first, the same events) but read-only: it stops at the first
 * component that needs an update, or when the work directory is missing (the
 * deploy would create it), and then answers false. True: deploying the root
 * now would change nothing and emit exactly the events emitted here. A
 * failure of verify() also answers false (the deploy reports it in its turn);
 * a stop is thrown.
 */
export async function verifyTree(root: RootComponent, session: DeploySession): Promise<boolean> {
  const component = root.component;
  if (!component || !existsSync(root.workdir)) return false;
  const run = prepareRun(component, session);
  run.speculative = true;
  try {
    await deployComponent(component, run);
    return true;
  } catch (error) {
    if (session.stop?.aborted) throw error;
    return false;
  }
}
