/**
 * Flags of every `bun build --compile` of batou (dist/batou, the executable
 * shipped to hosts, release executables).
 *
 * - Not `--minify`: it renames classes, and component names and breadcrumbs
 *   (`File('x')`) come from class names; `--keep-names` guards the rest.
 * - `--bytecode` (which needs `--format=esm` for our top-level await): the
 *   bundle is precompiled, so a start costs ~20 ms instead of ~90 ms. Every
 *   agent and every rsync `--rsh` bridge on a host is such a start.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const COMPILE_FLAGS = ["--minify-whitespace", "--minify-syntax", "--keep-names", "--sourcemap=none", "--bytecode", "--format=esm"];

/** The global that carries the launcher template into an executable compiled from source (read by lib/bootstrap/new-project.ts). */
export const LAUNCHER_TEMPLATE_GLOBAL = "BATOU_LAUNCHER_TEMPLATE";

/**
 * {@link COMPILE_FLAGS} for compiling batou.ts of the source tree at `repo`,
 * plus the launcher template (lib/bootstrap/launcher.ts) defined as a string:
 * a compiled executable has no such file to read for `batou init`, and the
 * bundler cannot import launcher.ts as text while batou imports it as a module.
 * (A release's batou.js carries the template in its release info instead.)
 */
export function sourceCompileFlags(repo: string): string[] {
  const launcher = readFileSync(join(repo, "lib", "bootstrap", "launcher.ts"), "utf8");
  return [...COMPILE_FLAGS, "--define", `${LAUNCHER_TEMPLATE_GLOBAL}=${JSON.stringify(launcher)}`];
}

/** `args` of a compile for a log line or an error: the launcher template's 9 KB shown as `…`. */
export function shownCompileArgs(args: string[]): string {
  return args.map((arg) => (arg.startsWith(`${LAUNCHER_TEMPLATE_GLOBAL}=`) ? `${LAUNCHER_TEMPLATE_GLOBAL}=…` : arg)).join(" ");
}
