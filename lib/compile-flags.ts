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
export const COMPILE_FLAGS = ["--minify-whitespace", "--minify-syntax", "--keep-names", "--sourcemap=none", "--bytecode", "--format=esm"];
