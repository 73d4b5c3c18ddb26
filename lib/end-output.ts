/**
 * Ends an output stream (stdout, stderr) and resolves once what was written to it is delivered,
 * or its reader went away (an error ends the wait at once). A write's callback does not wait for
 * that in Bun: it comes at once, and a process that exits then loses what a slower reader has
 * not taken yet (a pipe holds 64 KiB; the rest is queued in the process).
 *
 * Kept free of batou's own imports: batou.ts and the agent both use it.
 *
 * ```ts
 * await endOutput(process.stdout);
 * process.exit(code);
 * ```
 */
export function endOutput(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise<void>((resolve) => {
    stream.once("error", () => resolve());
    stream.end(() => resolve());
  });
}
