/**
 * Ctrl-C before a command has its own handler (while batou's modules load,
 * ~0.3 s from source): the process would die by the signal without a word.
 * This handler says so and exits with the usual status (130, 143 for
 * SIGTERM); once a command installs its own handler (a deployment's guard,
 * the agent's), it stands aside and lets that one stop things in order.
 *
 * Kept free of batou's own imports: it is installed before anything else loads.
 */

const EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/** Installs the handler for SIGINT and SIGTERM. */
export function installEarlyInterrupt(): void {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    const onSignal = () => {
      if (process.listenerCount(signal) > 1) return; // a command's own handler takes it
      process.stderr.write(`batou: interrupted (${signal})\n`);
      process.exit(EXIT[signal]);
    };
    process.on(signal, onSignal);
  }
}
