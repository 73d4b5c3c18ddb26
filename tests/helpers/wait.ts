/**
 * Waiting for a condition instead of sleeping a fixed time: fast when the
 * condition comes early, a clear failure naming what never came.
 *
 * ```ts
 * await waitFor(() => existsSync(marker), 10, "the marker file");
 * ```
 */

/** Polls `check` every 20 ms until it is true; throws after `seconds` naming `what`. */
export async function waitFor(check: () => boolean, seconds: number, what: string): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await Bun.sleep(20);
  }
}
