/**
 * The `batou` command line: every command of lib/cli/all-commands.ts, run by
 * lib/cli/dispatch.ts, plus `--version` and rsync's hidden bridge.
 *
 * @module
 */
import { VERSION } from "../version.ts";
import { COMMANDS } from "./all-commands.ts";
import { runCommandLine } from "./dispatch.ts";

/** Runs the CLI with `argv` (without the runtime and script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  // Hidden: rsync's --rsh helper that tunnels through batou's own SSH connection.
  if (first === "__rsh-bridge") return (await import("../remote/ship/rsh-bridge.ts")).runRshBridge(rest);
  if (first === "--version" || first === "-V") {
    console.log(`batou ${VERSION}`);
    return 0;
  }
  return runCommandLine(COMMANDS, argv);
}
