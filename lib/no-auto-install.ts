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

/** True inside a `bun build --compile` executable (never auto-installs). */
function compiled(): boolean {
  return import.meta.dir.startsWith("/$bunfs") || import.meta.dir.includes("~BUN");
}

/**
 * When this process may auto-install, replaces it (execve: same pid, same
 * terminal, signals and exit status untouched) with `bun --no-install script
 * ...args`; otherwise returns and batou goes on in this process.
 */
export function ensureNoAutoInstall(script: string, args: string[]): void {
  if (compiled() || process.execArgv.includes("--no-install")) return;
  const env = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  // Node 23's process.execve, which Bun has; not yet in @types/node.
  const { execve } = process as unknown as { execve(file: string, argv: string[], env: Record<string, string>): never };
  execve(process.execPath, [process.execPath, "--no-install", ...process.execArgv, script, ...args], env);
}
