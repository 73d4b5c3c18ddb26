/**
 * Starting the agent in one round trip, as plain command values.
 *
 * The launch script resolves the target directory (creating it) and, when
 * the shipped executable there is the one the deploying side expects (same
 * sha256 in its sidecar, whose size and mtime match the file), execs it as
 * the agent at once: the agent's hello is then the first line on stdout.
 * Otherwise it prints a probe (a marker line, then `uname -m`, the physical
 * target directory, the sidecar and `stat` of what is there, how many entries
 * `.batou/` has, whether `zstd` is there) and exits; the
 * deploying side ships the right executable and runs {@link agentCommand}.
 *
 * ```ts
 * const script = launchScript("deployment", "batou-0.1.0", { sha256, size });
 * // sh -c script → '{"type":"hello",...}' (agent running) or "batou-probe\nx86_64\n/home/u/deployment\n..."
 * ```
 *
 * @module
 */
import { shellQuote } from "./ship/rsync.ts";

/** First line of a probe answer (never valid JSON, so never mistaken for a hello). */
export const PROBE_MARKER = "batou-probe";

/** What the host said instead of starting the agent. */
export interface Probe {
  /** `uname -m`. */
  machine: string;
  /** The absolute, physical target directory. */
  target: string;
  /** Contents of `.batou/EXE.sha256` (`SHA SIZE MTIME`), empty when missing. */
  sidecar: string;
  /** `stat -c '%s %Y'` of the executable, empty when missing. */
  stat: string;
  /** Whether `.batou/` holds nothing at all (no other version to send a delta against). */
  empty: boolean;
  /** Whether the host has the `zstd` command (then a fresh executable travels compressed). */
  zstd: boolean;
}

/** Resolves `targetDir` (relative to $HOME, or `~/…`, or absolute) into `$T` and enters it. */
function enterTarget(targetDir: string): string[] {
  return [
    `T=${shellQuote(targetDir)}`,
    'case "$T" in /*) ;; "~"/*) T="$HOME/${T#"~/"}" ;; *) T="$HOME/$T" ;; esac',
    'mkdir -p "$T/.batou" && cd "$T" || exit 97',
  ];
}

/**
 * The launch command: exec the agent when `.batou/EXE` is `expected`, else
 * print a probe. Without `expected` it always probes.
 */
export function launchScript(targetDir: string, exe: string, expected?: { sha256: string; size: number }): string {
  const lines = enterTarget(targetDir);
  if (expected) {
    lines.push(
      `set -- $(cat .batou/${exe}.sha256 2>/dev/null)`,
      `if [ "$1" = ${expected.sha256} ] && [ "$2" = ${expected.size} ] && [ "$2 $3" = "$(stat -c '%s %Y' .batou/${exe} 2>/dev/null)" ]; then exec .batou/${exe} agent; fi`,
    );
  }
  lines.push(
    `echo ${PROBE_MARKER}`,
    "uname -m",
    "pwd -P",
    `echo "$(cat .batou/${exe}.sha256 2>/dev/null)"`,
    `echo "$(stat -c '%s %Y' .batou/${exe} 2>/dev/null)"`,
    "ls -A .batou | wc -l",
    "command -v zstd >/dev/null && echo zstd || echo",
  );
  return lines.join("\n");
}

/** The agent in the (resolved) target directory, after shipping. */
export function agentCommand(target: string, exe: string): string {
  return `cd ${shellQuote(target)} && exec .batou/${exe} agent`;
}

/** Parses a probe answer; undefined when `stdout` is not one. */
export function parseProbe(stdout: string): Probe | undefined {
  const [marker, machine = "", target = "", sidecar = "", stat = "", entries = "", zstd = ""] = stdout.split("\n");
  if (marker !== PROBE_MARKER) return undefined;
  return { machine, target, sidecar, stat, empty: entries.trim() === "0", zstd: zstd.trim() === "zstd" };
}
