import { VERSION } from "../version.ts";
import { type Command, UsageError } from "./command.ts";
import { agentCommand } from "./commands/agent.ts";
import { deployCommand } from "./commands/deploy.ts";
import { historyCommand } from "./commands/history.ts";
import { initCommand } from "./commands/init.ts";
import { migratePythonCommand } from "./commands/migrate-python.ts";
import { secretsCommand } from "./commands/secrets.ts";
import { updateCommand } from "./commands/update.ts";

/** Every sub-command, in the order `--help` lists them. */
const COMMANDS: Command[] = [deployCommand, historyCommand, secretsCommand, initCommand, updateCommand, migratePythonCommand];
/** Internal sub-commands: dispatched like the others, never listed in `--help`. */
const HIDDEN_COMMANDS: Command[] = [agentCommand];

function globalUsage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    `batou ${VERSION}: model deployments in TypeScript, converge hosts over SSH`,
    "",
    "usage: batou <command> [options]",
    "",
    "commands:",
    ...lines,
    "",
    "batou --version    print the version",
    "batou <command> --help    usage of one command",
  ].join("\n");
}

/** Runs the CLI with `argv` (without the runtime and script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  // Hidden: rsync's --rsh helper that tunnels through batou's own SSH connection.
  if (name === "__rsh-bridge") return (await import("../remote/ship/rsh-bridge.ts")).runRshBridge(rest);
  if (name === "--version" || name === "-V") {
    console.log(`batou ${VERSION}`);
    return 0;
  }
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(globalUsage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name) ?? HIDDEN_COMMANDS.find((c) => c.name === name);
  if (!command) {
    console.error(`batou: unknown command '${name}'\n\n${globalUsage()}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`batou ${command.name}: ${error.message}\n\n${command.usage}`);
      return 2;
    }
    throw error;
  }
}
