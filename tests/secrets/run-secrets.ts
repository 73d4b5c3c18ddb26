/**
 * Child-process entry for tests: `bun run-secrets.ts ARGS` ≙ `batou secrets ARGS`
 * (the CLI with only the secrets command, so it does not depend on the rest).
 */
import { secretsCommand } from "../../lib/cli/commands/secrets.ts";
import { runCommandLine } from "../../lib/cli/dispatch.ts";

process.exitCode = await runCommandLine([secretsCommand], ["secrets", ...process.argv.slice(2)]);
