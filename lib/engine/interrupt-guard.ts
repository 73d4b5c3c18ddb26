/**
 * The interrupt guard of a deployment run: the first SIGINT/SIGTERM hands
 * over to the run's cleanup (stop the agents, release the locks, summarize);
 * a second one, or cleanup that takes longer than 8 s, exits at once.
 */

/** Exit status of a run stopped by a signal. */
export const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

/** Watches for SIGINT/SIGTERM while a run is under way; a second signal, or 8 s of cleanup, exits at once. */
export function guardInterrupts(onInterrupt: (signal: NodeJS.Signals) => Promise<unknown>) {
  const guard = {
    interrupted: undefined as NodeJS.Signals | undefined,
    dispose() {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
  function onSignal(signal: NodeJS.Signals) {
    const code = SIGNAL_EXIT[signal] ?? 130;
    if (guard.interrupted) process.exit(code); // a second Ctrl-C: leave now
    guard.interrupted = signal;
    setTimeout(() => process.exit(code), 8000).unref();
    void onInterrupt(signal);
  }
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return guard;
}
