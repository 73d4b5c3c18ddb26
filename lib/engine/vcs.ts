/**
 * The git guards of a deployment, each skipped by `-D/--dirty`: the project
 * is on the branch the environment demands (`branch = "main"`), and with
 * `clean = true` the working tree has no uncommitted changes (untracked files
 * included, as batou's `git status --porcelain`) and the branch is pushed to
 * its upstream, so what is deployed is what others can see. The deployment
 * history records the commit that was deployed.
 */
import { runCommand } from "./cmd.ts";
import { ConfigurationError } from "./errors.ts";

const DIRTY_HINT = "deploy with -D/--dirty";

/** `git ARGS` in the project; undefined when git fails (not a repository, no upstream, …). */
async function git(projectRoot: string, ...args: string[]): Promise<string | undefined> {
  const result = await runCommand(["git", "-C", projectRoot, ...args], { ignoreReturnCode: true });
  return result.code === 0 ? result.stdout : undefined;
}

/** The current branch, or an error naming the guard that needs git. */
async function currentBranch(projectRoot: string, guard: string): Promise<string> {
  const branch = await git(projectRoot, "rev-parse", "--abbrev-ref", "HEAD");
  if (branch === undefined) {
    throw new ConfigurationError(`${guard}, but the project is not in a git repository`, { hint: `commit the project to git, or ${DIRTY_HINT}` });
  }
  return branch.trim();
}

export async function checkBranch(projectRoot: string, branch: string): Promise<void> {
  const current = await currentBranch(projectRoot, `the environment requires branch "${branch}"`);
  if (current !== branch) {
    throw new ConfigurationError(`the environment requires branch "${branch}", but the project is on "${current}"`, {
      hint: `switch to ${branch}, or ${DIRTY_HINT}`,
    });
  }
}

/** At most this many lines of `git status` or `git log` in an error. */
const LISTED = 20;

function listed(lines: string[]): string {
  return lines.length > LISTED ? [...lines.slice(0, LISTED), `… and ${lines.length - LISTED} more`].join("\n") : lines.join("\n");
}

/** `clean = true`: refuses uncommitted changes and commits that are not on the upstream branch. */
export async function checkClean(projectRoot: string): Promise<void> {
  const branch = await currentBranch(projectRoot, "the environment requires a clean working tree (clean = true)");
  const status = (await git(projectRoot, "status", "--porcelain"))?.split("\n").filter(Boolean) ?? [];
  if (status.length) {
    throw new ConfigurationError("the working tree has uncommitted changes (clean = true)", {
      changes: listed(status.map((line) => line.trim())),
      hint: `commit and push them, or ${DIRTY_HINT}`,
    });
  }
  const upstream = (await git(projectRoot, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}"))?.trim();
  if (!upstream) {
    throw new ConfigurationError(`branch "${branch}" is not pushed: it has no upstream branch (clean = true)`, {
      hint: `push it (git push -u), or ${DIRTY_HINT}`,
    });
  }
  const ahead = (await git(projectRoot, "log", "--oneline", "--no-decorate", "@{upstream}..HEAD"))?.split("\n").filter(Boolean) ?? [];
  if (ahead.length) {
    throw new ConfigurationError(`branch "${branch}" has ${ahead.length} commit(s) not pushed to ${upstream} (clean = true)`, {
      commits: listed(ahead),
      hint: `push them, or ${DIRTY_HINT}`,
    });
  }
}

/** The project's git commit and whether its working tree has changes; nothing when it is not a git repository. */
export async function projectRevision(projectRoot: string): Promise<{ commit?: string; dirty?: boolean }> {
  const commit = (await git(projectRoot, "rev-parse", "HEAD"))?.trim();
  if (!commit) return {};
  const status = await git(projectRoot, "status", "--porcelain");
  return { commit, dirty: Boolean(status?.trim()) };
}
