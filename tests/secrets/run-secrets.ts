/**
 * Child-process entry for tests: `bun run-secrets.ts ARGS` ≙ `batou secrets ARGS`
 * (imports only the secrets command, so it does not depend on the rest of the CLI).
 */
import { UsageError } from "../../lib/cli/command.ts";
import { secretsCommand } from "../../lib/cli/commands/secrets.ts";

try {
  process.exitCode = await secretsCommand.run(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`batou secrets: ${error.message}`);
  process.exitCode = 2;
}
