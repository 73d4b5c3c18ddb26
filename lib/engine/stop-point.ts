/**
 * Where a deployment may stop. A deployment runs in one event loop: a tree of
 * thousands of files, or a component's long loop, that never yields keeps a
 * Ctrl-C, a SIGTERM or the agent's closed stdin waiting until it ends. A stop
 * point lets pending events in (at most every 20 ms, so it costs nothing
 * measurable) and then says whether the deployment was told to stop.
 *
 * @module
 */

/** When this process last let pending events in. */
let lastYield = 0;

/** Lets pending events in (at most every 20 ms); resolves to whether `stop` is aborted. */
export async function stopRequested(stop: AbortSignal | undefined): Promise<boolean> {
  if (performance.now() - lastYield > 20) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    lastYield = performance.now();
  }
  return stop?.aborted ?? false;
}
