/**
 * Running batou on a real pseudo-terminal: `script(1)` from util-linux gives
 * the command a pty as stdin, stdout and stderr, so what a user sees on a
 * terminal (the live status line, colours) can be asserted.
 *
 * ```ts
 * const screen = onTerminal(RUNNERS[0], ["deploy", "dev"], project.dir);
 * expect(screen.output).toContain("\r\x1b[2K");
 * ```
 */
import type { Runner } from "./project.ts";

/** Whether `script` is there (util-linux; Debian's bsdutils). */
export const HAVE_SCRIPT = Bun.which("script") !== null;

/** A word for `sh -c`. */
const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/** Runs `batou ARGS` with `runner` in `cwd` on a pty; `output` is everything the terminal got (CRLF line ends). */
export function onTerminal(runner: Runner, args: string[], cwd: string, env: Record<string, string> = {}): { code: number; output: string } {
  const childEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && key !== "FORCE_COLOR") childEnv[key] = value;
  Object.assign(childEnv, { NO_COLOR: "1", TERM: "xterm", COLUMNS: "120" }, env);
  const command = [...runner.argv, ...args].map(quote).join(" ");
  const proc = Bun.spawnSync(["script", "-qec", command, "/dev/null"], { cwd, env: childEnv, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  return { code: proc.exitCode ?? -1, output: proc.stdout.toString() + proc.stderr.toString() };
}
