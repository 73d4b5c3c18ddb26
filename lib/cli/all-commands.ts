/**
 * Every `batou` command, in the order `batou --help` lists them. Adding a
 * command is one entry here plus its module in lib/cli/commands/ (see
 * lib/cli/command.ts) and its section in docs/cli.md.
 *
 * @module
 */
import type { Command } from "./command.ts";
import { agentCommand } from "./commands/agent.ts";
import { deployCommand } from "./commands/deploy.ts";
import { graphCommand } from "./commands/graph.ts";
import { historyCommand } from "./commands/history.ts";
import { initCommand } from "./commands/init.ts";
import { lockCommand } from "./commands/lock.ts";
import { migratePythonCommand } from "./commands/migrate-python.ts";
import { secretsCommand } from "./commands/secrets.ts";
import { updateCommand } from "./commands/update.ts";

export const COMMANDS: Command[] = [
  deployCommand,
  historyCommand,
  graphCommand,
  secretsCommand,
  lockCommand,
  initCommand,
  updateCommand,
  migratePythonCommand,
  agentCommand,
];
