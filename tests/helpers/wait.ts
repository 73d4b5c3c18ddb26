/**
 * Waiting for a condition instead of sleeping a fixed time: fast when the
 * condition comes early, a clear failure naming what never came.
 *
 * ```ts
 * await waitFor(() => existsSync(marker), 10, "the marker file");
 * ```
 */

/** Polls `check` every 20 ms for up to `seconds` without blocking; whether it became true. */
export async function waitUntil(check: () => boolean, seconds: number): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await Bun.sleep(20);
  }
  return true;
}

/** {@link waitUntil} for synchronous code (setup and cleanup helpers): blocks while it polls. */
export function waitUntilSync(check: () => boolean, seconds: number): boolean {
  const deadline = Date.now() + seconds * 1000;
  while (!check()) {
    if (Date.now() > deadline) return false;
    Bun.sleepSync(20);
  }
  return true;
}

/** {@link waitUntilSync} that throws naming `what` when it never came. */
export function waitForSync(check: () => boolean, seconds: number, what: string): void {
  if (!waitUntilSync(check, seconds)) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
}

/** Polls `check` every 20 ms until it is true; throws after `seconds` naming `what`. */
export async function waitFor(check: () => boolean, seconds: number, what: string): Promise<void> {
  if (!(await waitUntil(check, seconds))) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
}
