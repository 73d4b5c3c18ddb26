import { existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { CommandError, Component, ConfigurationError, DeploymentError, UpdateNeeded } from "../batou-core.ts";
import { hidePassword } from "./url-password.ts";

const GIT_ENV = { GIT_TERMINAL_PROMPT: "0", LC_ALL: "C", GIT_ASKPASS: "true" };

/**
 * `GitClone`: a git working copy at the head of a branch, at a tag, or at a
 * revision (a commit or a tag). Without any of them, the remote's default
 * branch. Verify looks at the remote with `git ls-remote` and at the working
 * copy with `git rev-parse`/`git status`, changing nothing, also under `-P`:
 * a branch, tag or revision the remote does not have is an error there
 * ("revision v9 not found in URL"), before anything is cloned. A commit id
 * cannot be looked up with `ls-remote`; it is checked after fetching, before
 * the working copy is touched. A new clone is made beside the target and
 * moved into place only when complete. Local changes, untracked files and
 * local commits are reported as an error and never discarded: commit, stash
 * or remove them, then deploy again.
 *
 * @example
 * ```ts
 * this.add(new GitClone("https://github.com/example/app.git", { target: "app", branch: "main" }));
 * this.add(new GitClone("/srv/repos/tools.git", { target: "tools", tag: "v1.4.0" }));
 * ```
 */
export class GitClone extends Component {
  static override namevar = "url";
  /** The repository to clone. */
  url = "";
  /** The folder of the working copy (relative to the workdir). */
  target = "";
  /** Follow this branch's head. */
  branch: string | undefined = undefined;
  /** Check out exactly this tag. */
  tag: string | undefined = undefined;
  /** Check out exactly this commit or tag. */
  revision: string | undefined = undefined;

  constructor(url: string, options: GitCloneOptions) {
    super(url, options);
  }

  /** The URL with a password replaced by `*****`, for messages. */
  get safeUrl(): string {
    return hidePassword(this.url);
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
    const given = (["branch", "tag", "revision"] as const).filter((key) => this[key] !== undefined);
    if (given.length > 1) {
      throw new ConfigurationError(`GitClone('${this.safeUrl}') takes one of branch, tag or revision, not ${given.join(" and ")}`, {
        component: this.breadcrumbs,
      });
    }
    for (const key of given) {
      // an argument to git, never an option of it
      if (!/^[^\s\-~^:?*[\\][^\s~^:?*[\\]*$/.test(this[key]!) || this[key]!.includes("..")) {
        throw new ConfigurationError(`invalid ${key} "${this[key]}"`, { component: this.breadcrumbs, attribute: key, expected: "a git branch, tag or commit name" });
      }
    }
  }

  /** The tag or revision to check out detached, if any. */
  private get pinned(): string | undefined {
    return this.tag ?? this.revision;
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
    if (!sha) throw this.notFound("branch", branch);
    return sha;
  }

  private notFound(what: string, name: string): DeploymentError {
    return new DeploymentError(`${what} ${name} not found in ${this.safeUrl}`, {
      component: this.breadcrumbs,
      url: this.safeUrl,
      hint: `git ls-remote ${this.safeUrl} lists what the remote has`,
    });
  }

  /**
   * Throws unless the remote has the tag or revision to pin. A revision that
   * is no tag or branch of the remote may be a commit id, which ls-remote
   * cannot find: that one is checked after fetching.
   */
  private async assertRemoteHasPinned(pinned: string): Promise<void> {
    const patterns = this.tag !== undefined ? [`refs/tags/${pinned}`] : [`refs/tags/${pinned}`, `refs/heads/${pinned}`];
    const { stdout } = await this.git(["ls-remote", "--", this.url, ...patterns], { cwd: this.existingFolder });
    if (stdout.trim()) return;
    if (this.tag === undefined && /^[0-9a-f]{4,40}$/i.test(pinned)) return;
    throw this.notFound(this.tag !== undefined ? "tag" : "revision", pinned);
  }

  /** Throws unless the remote has what this clone follows (the branch, tag or revision). */
  private async assertRemoteHasIt(): Promise<void> {
    const pinned = this.pinned;
    if (pinned !== undefined) await this.assertRemoteHasPinned(pinned);
    else await this.remoteHead(await this.wantedBranch());
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
      await this.assertRemoteHasIt();
      this.log(`clone ${this.safeUrl} into ${target}`);
      throw new UpdateNeeded(`${target} is not cloned yet`);
    }
    await this.assertClean();
    const origin = (await this.git(["remote", "get-url", "origin"], { ignoreReturnCode: true })).stdout.trim();
    if (origin !== this.url) {
      await this.assertRemoteHasIt();
      this.log(`origin changes from ${origin || "(none)"} to ${this.safeUrl}`);
      throw new UpdateNeeded("origin differs");
    }
    const head = (await this.git(["rev-parse", "--verify", "--quiet", "HEAD"], { ignoreReturnCode: true })).stdout.trim();
    const pinned = this.pinned;
    if (pinned !== undefined) {
      const wanted = await this.localCommit(pinned);
      if (wanted === undefined) {
        await this.assertRemoteHasPinned(pinned);
        this.log(`fetch ${pinned} and check it out (now at ${head.slice(0, 12)})`);
        throw new UpdateNeeded(`${pinned} not fetched yet`);
      }
      if (wanted !== head) {
        this.log(`check out ${pinned} (${wanted.slice(0, 12)}), now at ${head.slice(0, 12)}`);
        throw new UpdateNeeded(`HEAD is not ${pinned}`);
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

  /** The commit `name` is in the working copy at `cwd`, if it has it. */
  private async localCommit(name: string, cwd = this.targetPath): Promise<string | undefined> {
    const found = await this.git(["rev-parse", "--verify", "--quiet", `${name}^{commit}`], { cwd, ignoreReturnCode: true });
    return found.code === 0 ? found.stdout.trim() : undefined;
  }

  /** Checks out what this clone follows in the working copy at `cwd` (fetched already). */
  private async checkOut(cwd: string): Promise<void> {
    const pinned = this.pinned;
    if (pinned !== undefined) {
      if ((await this.localCommit(pinned, cwd)) === undefined) throw this.notFound(this.tag !== undefined ? "tag" : "revision", pinned);
      await this.git(["checkout", "--quiet", "--detach", `${pinned}^{commit}`], { cwd });
    } else {
      const branch = await this.wantedBranch();
      await this.git(["checkout", "--quiet", "-B", branch, `refs/remotes/origin/${branch}`], { cwd });
      await this.git(["branch", "--quiet", `--set-upstream-to=origin/${branch}`, branch], { cwd });
    }
    if (existsSync(join(cwd, ".gitmodules"))) await this.git(["submodule", "update", "--init", "--recursive"], { cwd });
  }

  override async update(): Promise<void> {
    const target = this.targetPath;
    if (this.cloned) {
      await this.assertClean();
      await this.git(["remote", "set-url", "origin", this.url]);
      await this.git(["fetch", "--prune", "--tags", "--force", "origin"]);
      await this.checkOut(target);
      return;
    }
    // A new clone is made beside the target and moved into place when complete.
    mkdirSync(dirname(target), { recursive: true });
    const temp = join(dirname(target), `.${basename(target)}.batou-clone-${process.pid}`);
    rmSync(temp, { recursive: true, force: true });
    try {
      await this.git(["clone", "--quiet", "--no-checkout", "--", this.url, temp], { cwd: dirname(target) });
      await this.checkOut(temp);
      if (existsSync(target)) rmdirSync(target); // empty: verify refuses anything else
      renameSync(temp, target);
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
  }
}

/** The options of {@link GitClone}: `target` is required. */
export type GitCloneOptions = Pick<GitClone, "target"> & Partial<Pick<GitClone, "branch" | "tag" | "revision">>;
