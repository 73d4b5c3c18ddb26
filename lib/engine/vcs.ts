/**
 * Checks that the project is on the branch the environment demands
 * (`branch = "main"`), so nobody deploys a feature branch to production by
 * accident. `-D/--dirty` skips the check.
 */
import { runCommand } from "./cmd.ts";
import { ConfigurationError } from "./errors.ts";

export async function checkBranch(projectRoot: string, branch: string): Promise<void> {
  const result = await runCommand(["git", "-C", projectRoot, "rev-parse", "--abbrev-ref", "HEAD"], { ignoreReturnCode: true });
  if (result.code !== 0) {
    throw new ConfigurationError(`the environment requires branch "${branch}", but the project is not in a git repository`, {
      hint: "commit the project to git, or deploy with -D/--dirty",
    });
  }
  const current = result.stdout.trim();
  if (current !== branch) {
    throw new ConfigurationError(`the environment requires branch "${branch}", but the project is on "${current}"`, {
      hint: `switch to ${branch}, or deploy with -D/--dirty`,
    });
  }
}
