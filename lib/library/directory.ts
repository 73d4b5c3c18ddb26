import { existsSync, lstatSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, normalize } from "node:path";
import { CommandError, Component, ConfigurationError, DeploymentError, UpdateNeeded } from "../batou-core.ts";
import { Mode } from "./attributes.ts";
import { checkParents, isMissing, lookAt } from "./safe-path.ts";

/** Lines of rsync's `--itemize-changes` output that are real differences. */
function itemized(stdout: string): string[] {
  return stdout
    .split("\n")
    .map((line) => line.trimEnd())
    .filter((line) => line && !line.startsWith("created ") && !/^\S+ \.\/$/.test(line));
}

/** The newest modification time (ms) of the files below `folder`, not following symlinks; 0 when there are none. */
function newestFile(folder: string): number {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestFile(path));
    else if (entry.isFile()) newest = Math.max(newest, lstatSync(path).mtimeMs);
  }
  return newest;
}

/**
 * `Directory`: a directory exists (`leadingDirs` creates its parents), with an
 * optional `mode`; with `source`, its content mirrors a folder of the project
 * with rsync semantics: new and changed files are copied, files that are not in
 * the source are deleted (unless `deleteExtraneous: false`, as batou's
 * Directory and SyncDirectory did), and paths matching `exclude` (rsync
 * patterns) are neither copied nor deleted. Needs `rsync` on the host for `source`.
 *
 * A symlink at the path is an error (it could lead anywhere, and what is
 * written "into the directory" would land there) unless `allowSymlink` says it
 * may be one; every folder `leadingDirs` creates is checked to be a real
 * directory after creating it.
 *
 * @example
 * ```ts
 * this.add(new Directory("logs", { mode: 0o750 }));
 * this.add(new Directory("/srv/app/releases", { leadingDirs: true }));
 * this.add(new Directory("htdocs", { source: "static", exclude: ["*.map", "uploads/"] }));
 * ```
 */
export class Directory extends Component {
  static override namevar = "path";
  /** The directory; relative paths are inside the workdir. */
  path = "";
  /** The directory's permission bits (`0o750`, `"750"`, `"rwxr-x---"`). */
  mode: number | string | undefined = undefined;
  /** Create missing parents too. */
  leadingDirs = false;
  /** A folder (next to component.ts, or absolute) whose content this directory mirrors. */
  source: string | undefined = undefined;
  /** Patterns (rsync syntax) not synced from `source`, and not deleted in the target. */
  exclude: string[] = [];
  /** With `source`: delete files in the directory that are not in the source (`false` keeps them, as batou did). */
  deleteExtraneous = true;
  /** The path may be a symlink to a directory (it is then used as it is, and `mode` is refused). */
  allowSymlink = false;

  #mode?: Mode;

  constructor(path: string, options: DirectoryOptions = {}) {
    super(path, options);
  }

  /** The absolute path. */
  get target(): string {
    return this.map(this.path);
  }

  /** The absolute source folder, when syncing. */
  get sourcePath(): string | undefined {
    if (this.source === undefined) return undefined;
    return normalize(isAbsolute(this.source) ? this.source : join(this.defdir, this.source));
  }

  override configure(): void {
    // The mode is checked by this component itself: a Mode child would run before the directory exists.
    this.#mode = this.mode !== undefined ? this.use(new Mode(this.target, { mode: Mode.parseFor(this.mode, this) })) : undefined;
    const source = this.sourcePath;
    if (source !== undefined && !(existsSync(source) && statSync(source).isDirectory())) {
      throw new ConfigurationError(`source folder not found: ${source}`, { component: this.breadcrumbs });
    }
    if (!Array.isArray(this.exclude) || this.exclude.some((pattern) => typeof pattern !== "string")) {
      throw new ConfigurationError(`Directory('${this.path}'): exclude must be a list of patterns`, { component: this.breadcrumbs });
    }
  }

  /** The newest modification time of the files inside (ms; 0 when empty), for `assertComponentIsCurrent`. */
  override lastUpdated(): number | undefined {
    try {
      return newestFile(this.target);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  private rsyncArgs(dryRun: boolean): string[] {
    return [
      "rsync",
      "--recursive",
      "--links",
      "--perms",
      "--times",
      // Compare mtimes to the nanosecond (rsync >= 3.1.3): a same-size change within the
      // second of the last sync is otherwise taken for unchanged.
      "--modify-window=-1",
      ...(this.deleteExtraneous ? ["--delete"] : []),
      "--itemize-changes",
      ...(dryRun ? ["--dry-run"] : []),
      ...this.exclude.map((pattern) => `--exclude=${pattern}`),
      `${this.sourcePath}/`,
      `${this.target}/`,
    ];
  }

  private async rsync(dryRun: boolean): Promise<string[]> {
    try {
      return itemized((await this.cmd(this.rsyncArgs(dryRun))).stdout);
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      throw new DeploymentError(
        error.exitCode === 127 ? "rsync is not installed (needed by Directory with source)" : `syncing ${this.sourcePath} failed`,
        { ...error.context, component: this.breadcrumbs, path: this.target, source: this.sourcePath },
      );
    }
  }

  /** Whether the directory exists (as a directory, or an allowed symlink to one); errors for anything else. */
  private exists(): boolean {
    const target = this.target;
    checkParents(target, { component: this.breadcrumbs });
    const found = lookAt(target);
    const context = { component: this.breadcrumbs, path: target };
    switch (found.kind) {
      case "missing":
        return false;
      case "directory":
        return true;
      case "symlink":
        if (!this.allowSymlink) {
          throw new DeploymentError(`${target} is a symlink (to ${found.target}), not a directory; refusing to use it`, {
            ...context,
            hint: "remove the symlink, or say it may be one with { allowSymlink: true }",
          });
        }
        if (!(existsSync(target) && statSync(target).isDirectory())) {
          throw new DeploymentError(`${target} is a symlink (to ${found.target}) that does not lead to a directory`, context);
        }
        if (this.#mode) throw new DeploymentError(`${target} is a symlink; its mode cannot be set through it`, { ...context, hint: "set the mode of the directory it points to" });
        return true;
      default:
        throw new DeploymentError(`${target} exists but is not a directory`, context);
    }
  }

  /** Throws unless the parent exists or will be created (`leadingDirs`, or an earlier component under -P). */
  private checkParent(): void {
    const parent = dirname(this.target);
    if (this.leadingDirs || this.predicting || existsSync(parent)) return;
    throw new DeploymentError(`directory ${parent} does not exist (add a Directory or use leadingDirs: true)`, {
      component: this.breadcrumbs,
      path: this.target,
    });
  }

  override async verify(): Promise<void> {
    if (!this.exists()) {
      this.checkParent();
      if (this.source !== undefined) await this.reportSync();
      throw new UpdateNeeded(`${this.target} does not exist`);
    }
    if (this.source !== undefined && (await this.reportSync()) > 0) throw new UpdateNeeded(`${this.target} differs from ${this.sourcePath}`);
    const change = this.#mode?.pendingChange();
    if (change === undefined) return;
    this.log(change);
    throw new UpdateNeeded(change);
  }

  /** Logs what a sync would change; returns the number of changes. */
  private async reportSync(): Promise<number> {
    const changes = await this.rsync(true);
    if (changes.length > 0) {
      const shown = changes.slice(0, 50).join("\n  ");
      this.log(`sync from ${this.sourcePath}: ${changes.length} change(s)\n  ${shown}${changes.length > 50 ? "\n  ..." : ""}`);
    }
    return changes.length;
  }

  override async update(): Promise<void> {
    if (!this.exists()) {
      this.checkParent();
      this.create();
    }
    if (this.source !== undefined) await this.rsync(false);
    this.#mode?.applyChange();
  }

  /** Creates the directory and (with `leadingDirs`) its missing parents, one by one, each checked to be a real directory. */
  private create(): void {
    const missing: string[] = [];
    for (let folder = this.target; lookAt(folder).kind === "missing"; folder = dirname(folder)) missing.unshift(folder);
    for (const folder of missing) {
      try {
        mkdirSync(folder);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      if (lookAt(folder).kind !== "directory") {
        throw new DeploymentError(`${folder} was replaced while creating it; refusing to continue`, { component: this.breadcrumbs, path: folder });
      }
    }
  }
}

/** The options of `Directory` (each documented on its field). */
export type DirectoryOptions = Partial<Pick<Directory, "mode" | "leadingDirs" | "source" | "exclude" | "deleteExtraneous" | "allowSymlink">>;
