/**
 * batou never lets Bun install packages while it runs: under `bun batou.ts`
 * (and the project launcher, which is `bun batou.ts` too) Bun would otherwise
 * auto-install any package a component imports that is not installed, from
 * the registry, and run it. Component imports are checked before they load
 * (engine/import-guard.ts); this closes the rest (imports computed at run
 * time) by running batou under `bun --no-install`, as the compiled executable
 * behaves anyway.
 *
 * Kept free of batou's own imports: it runs before anything else of batou loads.
 */
import { constants } from "node:os";

/** True inside a `bun build --compile` executable (never auto-installs). */
function compiled(): boolean {
  return import.meta.dir.startsWith("/$bunfs") || import.meta.dir.includes("~BUN");
}

/**
 * When this process may auto-install, runs `script` again under
 * `bun --no-install` with the same arguments and resolves to its exit code;
 * otherwise resolves to `undefined` (go on in this process). The parent only
 * waits: Ctrl-C reaches the child from the terminal itself, SIGTERM and
 * SIGHUP are passed on.
 */
export async function relaunchWithoutAutoInstall(script: string, args: string[]): Promise<number | undefined> {
  if (compiled() || process.execArgv.includes("--no-install")) return undefined;
  const child = Bun.spawn([process.execPath, "--no-install", ...process.execArgv, script, ...args], {
    stdio: ["inherit", "inherit", "inherit"],
  });
  process.on("SIGINT", () => {});
  for (const signal of ["SIGTERM", "SIGHUP"] as const) process.on(signal, () => child.kill(signal));
  const code = await child.exited;
  // A child ended by a signal exits the way a shell reports it: 128 + the signal's number.
  return child.signalCode ? 128 + (constants.signals[child.signalCode as NodeJS.Signals] ?? 0) : code;
}
