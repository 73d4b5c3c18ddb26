/**
 * `GitClone`: a git working copy at the head of a branch, or at a revision
 * (a commit or a tag). Without either, the remote's default branch. Verify
 * looks at the remote with `git ls-remote` and at the working copy with
 * `git rev-parse`/`git status`, changing nothing. Local changes, untracked
 * files and local commits are reported as an error and never discarded:
 * commit, stash or remove them, then deploy again.
 *
 * @example
 * ```ts
 * this.add(new GitClone("https://github.com/example/app.git", { target: "app", branch: "main" }));
 * this.add(new GitClone("/srv/repos/tools.git", { target: "tools", revision: "v1.4.0" }));
 * ```
 */
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { CommandError, Component, ConfigurationError, DeploymentError, UpdateNeeded } from "../batou-core.ts";

export interface GitCloneOptions {
  /** The folder of the working copy (relative to the workdir). */
  target: string;
  /** Follow this branch's head. */
  branch?: string;
  /** Check out exactly this commit or tag. */
  revision?: string;
}

const GIT_ENV = { GIT_TERMINAL_PROMPT: "0", LC_ALL: "C", GIT_ASKPASS: "true" };

export class GitClone extends Component {
  static override namevar = "url";
  url = "";
  target = "";
  branch: string | undefined = undefined;
  revision: string | undefined = undefined;

  constructor(url: string, options: GitCloneOptions) {
    super(url, options);
  }

  /** The URL with a password replaced by `*****`, for messages. */
  get safeUrl(): string {
    return this.url.replace(/\/\/([^:/@]+):[^@/]+@/, "//$1:*****@");
  }

  override get breadcrumb(): string {
    return `GitClone('${this.safeUrl}')`;
  }

  get targetPath(): string {
    return this.map(this.target);
  }

  override configure(): void {
    if (!this.target) {
      throw new ConfigurationError(`GitClone('${this.safeUrl}') needs a target folder`, { component: this.breadcrumbs });
    }
    if (this.branch && this.revision) {
      throw new ConfigurationError(`GitClone('${this.safeUrl}') takes a branch or a revision, not both`, { component: this.breadcrumbs });
    }
  }

  private async git(args: string[], options: { cwd?: string; ignoreReturnCode?: boolean } = {}) {
    try {
      return await this.cmd(["git", ...args], { cwd: options.cwd ?? this.targetPath, env: GIT_ENV, ignoreReturnCode: options.ignoreReturnCode });
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      throw new DeploymentError(
        error.exitCode === 127 ? "git is not installed" : `git ${args[0]} failed`,
        { ...error.context, component: this.breadcrumbs, url: this.safeUrl, path: this.targetPath },
      );
    }
  }

  /** The branch to follow: the given one, or the remote's default. */
  private async wantedBranch(): Promise<string> {
    if (this.branch) return this.branch;
    const { stdout } = await this.git(["ls-remote", "--symref", this.url, "HEAD"], { cwd: this.existingFolder });
    const match = /^ref: refs\/heads\/(\S+)\s+HEAD$/m.exec(stdout);
    if (!match) throw new DeploymentError("cannot find the default branch of the remote", { component: this.breadcrumbs, url: this.safeUrl });
    return match[1]!;
  }

  /** The commit the remote branch points to. */
  private async remoteHead(branch: string): Promise<string> {
    const { stdout } = await this.git(["ls-remote", this.url, `refs/heads/${branch}`], { cwd: this.existingFolder });
    const sha = stdout.split(/\s/)[0];
    if (!sha) throw new DeploymentError(`branch "${branch}" not found`, { component: this.breadcrumbs, url: this.safeUrl });
    return sha;
  }

  /** A folder that exists, for commands that need none in particular (a relative local URL is relative to it). */
  private get existingFolder(): string {
    return existsSync(this.targetPath) ? this.targetPath : existsSync(this.workdir) ? this.workdir : "/";
  }

  private get cloned(): boolean {
    return existsSync(join(this.targetPath, ".git"));
  }

  /** Throws when the working copy holds anything an update could lose. */
  private async assertClean(): Promise<void> {
    const status = (await this.git(["status", "--porcelain", "--untracked-files=all"])).stdout.trimEnd();
    if (status) {
      const lines = status.split("\n");
      throw new DeploymentError(`the working copy has local changes; refusing to touch it`, {
        component: this.breadcrumbs,
        path: this.targetPath,
        changes: lines.slice(0, 10).join("\n") + (lines.length > 10 ? `\n... (${lines.length} in all)` : ""),
        hint: "commit, stash or remove them, then deploy again",
      });
    }
    const head = await this.git(["rev-parse", "--verify", "--quiet", "HEAD"], { ignoreReturnCode: true });
    if (head.code !== 0) return;
    const local = (await this.git(["rev-list", "HEAD", "--not", "--remotes=origin", "--tags"])).stdout.trim();
    if (local) {
      const count = local.split("\n").length;
      throw new DeploymentError(`the working copy has ${count} local commit(s) not on the remote; refusing to move away from them`, {
        component: this.breadcrumbs,
        path: this.targetPath,
        hint: "push them, or reset the working copy by hand",
      });
    }
  }

  override async verify(): Promise<void> {
    const target = this.targetPath;
    if (!this.cloned) {
      if (existsSync(target) && readdirSync(target).length > 0) {
        throw new DeploymentError(`${target} exists and is not a git working copy; refusing to clone into it`, { component: this.breadcrumbs });
      }
      this.log(`clone ${this.safeUrl} into ${target}`);
      throw new UpdateNeeded(`${target} is not cloned yet`);
    }
    await this.assertClean();
    const origin = (await this.git(["remote", "get-url", "origin"], { ignoreReturnCode: true })).stdout.trim();
    if (origin !== this.url) {
      this.log(`origin changes from ${origin || "(none)"} to ${this.safeUrl}`);
      throw new UpdateNeeded("origin differs");
    }
    const head = (await this.git(["rev-parse", "--verify", "--quiet", "HEAD"], { ignoreReturnCode: true })).stdout.trim();
    if (this.revision) {
      const wanted = await this.git(["rev-parse", "--verify", "--quiet", `${this.revision}^{commit}`], { ignoreReturnCode: true });
      if (wanted.code !== 0) {
        this.log(`fetch ${this.revision} and check it out (now at ${head.slice(0, 12)})`);
        throw new UpdateNeeded(`${this.revision} not fetched yet`);
      }
      if (wanted.stdout.trim() !== head) {
        this.log(`check out ${this.revision} (${wanted.stdout.trim().slice(0, 12)}), now at ${head.slice(0, 12)}`);
        throw new UpdateNeeded(`HEAD is not ${this.revision}`);
      }
      return;
    }
    const branch = await this.wantedBranch();
    const current = (await this.git(["symbolic-ref", "--quiet", "--short", "HEAD"], { ignoreReturnCode: true })).stdout.trim();
    const remote = await this.remoteHead(branch);
    if (current !== branch || remote !== head) {
      this.log(`check out ${branch} at ${remote.slice(0, 12)}, now ${current || "detached"} at ${head.slice(0, 12)}`);
      throw new UpdateNeeded(`not at the head of ${branch}`);
    }
  }

  override async update(): Promise<void> {
    const target = this.targetPath;
    if (!this.cloned) {
      mkdirSync(dirname(target), { recursive: true });
      await this.git(["clone", "--no-checkout", "--", this.url, target], { cwd: dirname(target) });
    } else {
      await this.assertClean();
      await this.git(["remote", "set-url", "origin", this.url]);
      await this.git(["fetch", "--prune", "--tags", "--force", "origin"]);
    }
    if (this.revision) {
      await this.git(["checkout", "--quiet", "--detach", `${this.revision}^{commit}`]);
    } else {
      const branch = await this.wantedBranch();
      await this.git(["checkout", "--quiet", "-B", branch, `refs/remotes/origin/${branch}`]);
      await this.git(["branch", "--quiet", `--set-upstream-to=origin/${branch}`, branch]);
    }
    if (existsSync(join(target, ".gitmodules"))) await this.git(["submodule", "update", "--init", "--recursive"]);
  }
}
