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

/**
 * Installs the handler for SIGINT and SIGTERM. With `json` (the command line has `--json`) it
 * also writes an `error` event on stdout, in the form of the deploy's events, so that a
 * reader of the stream learns why it ends (nothing had started: no summary follows).
 */
export function installEarlyInterrupt(json = false): void {
  // once a command had a handler of its own, "nothing was started" is no longer known to be true
  let commandHadHandler = false;
  process.on("newListener", (event) => {
    if (event === "SIGINT" || event === "SIGTERM") commandHadHandler = true;
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    const onSignal = () => {
      if (process.listenerCount(signal) > 1) return; // a command's own handler takes it
      const message = commandHadHandler ? `interrupted (${signal})` : `interrupted (${signal}) while batou was starting: nothing was started`;
      if (json) process.stdout.write(`${JSON.stringify({ event: "error", error: "BatouError", message, context: {} })}\n`);
      process.stderr.write(`batou: ${message}\n`);
      process.exit(EXIT[signal]);
    };
    process.on(signal, onSignal);
  }
  commandHadHandler = false; // our own two do not count
}
