import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { CommandError, Component, ConfigurationError, DeploymentError, UpdateNeeded, writeFileAtomic } from "../batou-core.ts";
import { hidePassword } from "./url-password.ts";

/** Plain, stable output (HGPLAIN), whatever the user configured. */
const HG_ENV = { HGPLAIN: "1", LC_ALL: "C" };

/**
 * `Mercurial`: a Mercurial working copy at the head of a `branch` or at a
 * `revision` (a changeset id, a tag or a bookmark); with neither, at the head
 * of the `default` branch. Like `GitClone`: verify asks the remote with
 * `hg identify` and looks at the working copy, changing nothing, also under
 * `-P`, where a branch or revision the remote does not have is an error
 * ("revision v9 not found in URL"). A new clone is made beside the target and
 * moved into place only when complete. Local changes, untracked files and
 * local commits are reported as an error and never discarded (batou's
 * Mercurial clone discards them: see docs/porting-from-batou.md).
 *
 * @example
 * ```ts
 * this.add(new Mercurial("https://hg.example.com/app", { target: "app", branch: "stable" }));
 * this.add(new Mercurial("/srv/repos/tools", { target: "tools", revision: "1.4.0" }));
 * ```
 */
export class Mercurial extends Component {
  static override namevar = "url";
  /** The repository to clone. */
  url = "";
  /** The folder of the working copy (relative to the workdir). */
  target = "";
  /** Follow this branch's head. */
  branch: string | undefined = undefined;
  /** Check out exactly this changeset, tag or bookmark. */
  revision: string | undefined = undefined;

  constructor(url: string, options: MercurialOptions) {
    super(url, options);
  }

  /** The URL with a password replaced by `*****`, for messages. */
  get safeUrl(): string {
    return hidePassword(this.url);
  }

  override get breadcrumb(): string {
    return `Mercurial('${this.safeUrl}')`;
  }

  get targetPath(): string {
    return this.map(this.target);
  }

  /** The branch or revision to check out. */
  get wanted(): string {
    return this.revision ?? this.branch ?? "default";
  }

  override configure(): void {
    if (!this.target) throw new ConfigurationError("Mercurial needs a target folder", { component: this.breadcrumbs, attribute: "target" });
    if (this.branch !== undefined && this.revision !== undefined) {
      throw new ConfigurationError("Mercurial takes a branch or a revision, not both", { component: this.breadcrumbs });
    }
    if (!this.url || this.url.startsWith("-")) throw new ConfigurationError(`invalid URL "${this.safeUrl}"`, { component: this.breadcrumbs, attribute: "url" });
    for (const key of ["branch", "revision"] as const) {
      // a name for hg, never an option or a revset
      if (this[key] !== undefined && !/^[A-Za-z0-9_.+/][A-Za-z0-9_.+/-]*$/.test(this[key]!)) {
        throw new ConfigurationError(`invalid ${key} "${this[key]}"`, { component: this.breadcrumbs, attribute: key, expected: "a branch, tag, bookmark or changeset id" });
      }
    }
  }

  private async hg(args: string[], options: { cwd?: string; ignoreReturnCode?: boolean } = {}) {
    try {
      return await this.cmd(["hg", ...args], { cwd: options.cwd ?? this.targetPath, env: HG_ENV, ignoreReturnCode: options.ignoreReturnCode });
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      throw new DeploymentError(error.exitCode === 127 ? "hg is not installed (Debian package mercurial)" : `hg ${args[0]} failed`, {
        component: this.breadcrumbs,
        url: this.safeUrl,
        path: this.targetPath,
        stderr: error.stderr.replaceAll(this.url, this.safeUrl).trim().slice(-2000) || undefined,
      });
    }
  }

  /** A folder that exists, for commands that need none in particular. */
  private get existingFolder(): string {
    return existsSync(this.targetPath) ? this.targetPath : existsSync(this.workdir) ? this.workdir : "/";
  }

  private get cloned(): boolean {
    return existsSync(join(this.targetPath, ".hg"));
  }

  /** The changeset id the remote has for the branch or revision. */
  private async remoteNode(): Promise<string> {
    const result = await this.hg(["identify", "--debug", "--id", "--rev", this.wanted, "--", this.url], { cwd: this.existingFolder, ignoreReturnCode: true });
    const node = result.stdout.trim();
    if (result.code === 0 && /^[0-9a-f]{40}$/.test(node)) return node;
    if (/unknown revision|not found|no such/i.test(result.stderr)) {
      throw new DeploymentError(`${this.revision !== undefined ? "revision" : "branch"} ${this.wanted} not found in ${this.safeUrl}`, {
        component: this.breadcrumbs,
        url: this.safeUrl,
        hint: `hg identify -r ${this.wanted} ${this.safeUrl}`,
      });
    }
    throw new DeploymentError(`cannot read ${this.safeUrl}`, { component: this.breadcrumbs, url: this.safeUrl, stderr: result.stderr.replaceAll(this.url, this.safeUrl).trim() || undefined });
  }

  /** Throws when the working copy has changes an update could lose. */
  private async assertUnmodified(): Promise<void> {
    const status = (await this.hg(["status"])).stdout.trimEnd();
    if (status) {
      const lines = status.split("\n");
      throw new DeploymentError("the working copy has local changes; refusing to touch it", {
        component: this.breadcrumbs,
        path: this.targetPath,
        changes: lines.slice(0, 10).join("\n") + (lines.length > 10 ? `\n... (${lines.length} in all)` : ""),
        hint: "commit, shelve or remove them, then deploy again",
      });
    }
  }

  /** Throws when the working copy has commits the remote has not (asked only before moving away). */
  private async assertNoOutgoing(): Promise<void> {
    const outgoing = await this.hg(["outgoing", "--quiet", "--limit", "1", "--", this.url], { ignoreReturnCode: true });
    if (outgoing.code === 0 && outgoing.stdout.trim()) {
      throw new DeploymentError("the working copy has local commits not on the remote; refusing to move away from them", {
        component: this.breadcrumbs,
        path: this.targetPath,
        hint: "push them, or strip them by hand",
      });
    }
  }

  /** The `default` path of the working copy. */
  private get defaultPath(): string | undefined {
    try {
      return /^default\s*=\s*(.*)$/m.exec(readFileSync(join(this.targetPath, ".hg/hgrc"), "utf8"))?.[1]?.trim();
    } catch {
      return undefined;
    }
  }

  override async verify(): Promise<void> {
    const target = this.targetPath;
    if (!this.cloned) {
      if (existsSync(target) && readdirSync(target).length > 0) {
        throw new DeploymentError(`${target} exists and is not a Mercurial working copy; refusing to clone into it`, { component: this.breadcrumbs });
      }
      const node = await this.remoteNode();
      this.log(`clone ${this.safeUrl} into ${target} at ${this.wanted} (${node.slice(0, 12)})`);
      throw new UpdateNeeded(`${target} is not cloned yet`);
    }
    await this.assertUnmodified();
    const node = await this.remoteNode();
    if (this.defaultPath !== this.url) {
      await this.assertNoOutgoing();
      this.log(`default path changes from ${this.defaultPath ?? "(none)"} to ${this.safeUrl}`);
      throw new UpdateNeeded("the default path differs");
    }
    const current = (await this.hg(["log", "--rev", ".", "--template", "{node}"])).stdout.trim();
    if (current !== node) {
      await this.assertNoOutgoing();
      this.log(`update to ${this.wanted} (${node.slice(0, 12)}), now at ${current.slice(0, 12)}`);
      throw new UpdateNeeded(`not at ${this.wanted}`);
    }
  }

  /** Pulls what is wanted into the working copy at `cwd` and updates to it. */
  private async checkOut(cwd: string): Promise<void> {
    const node = await this.remoteNode();
    await this.hg(["pull", "--quiet", "--rev", node, "--", this.url], { cwd });
    await this.hg(["update", "--quiet", "--check", "--rev", node], { cwd });
  }

  override async update(): Promise<void> {
    const target = this.targetPath;
    if (this.cloned) {
      await this.assertUnmodified();
      await this.assertNoOutgoing();
      if (this.defaultPath !== this.url) writeFileAtomic(join(target, ".hg/hgrc"), `[paths]\ndefault = ${this.url}\n`, { mode: 0o600 });
      await this.checkOut(target);
      return;
    }
    mkdirSync(dirname(target), { recursive: true });
    const temp = join(dirname(target), `.${basename(target)}.batou-clone-${process.pid}`);
    rmSync(temp, { recursive: true, force: true });
    try {
      await this.hg(["clone", "--quiet", "--noupdate", "--", this.url, temp], { cwd: dirname(target) });
      await this.checkOut(temp);
      if (existsSync(target)) rmdirSync(target); // empty: verify refuses anything else
      renameSync(temp, target);
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
  }
}

/** The options of {@link Mercurial}: `target` is required. */
export type MercurialOptions = Pick<Mercurial, "target"> & Partial<Pick<Mercurial, "branch" | "revision">>;
