/**
 * `Directory`: a directory exists (optionally with its parents), with an
 * optional mode; with `source`, its content mirrors a folder of the project
 * (rsync semantics: new and changed files are copied, extras deleted, `exclude`
 * patterns neither copied nor deleted).
 *
 * @example
 * ```ts
 * this.add(new Directory("logs"));
 * this.add(new Directory("/srv/app/releases", { leadingDirs: true, mode: 0o750 }));
 * this.add(new Directory("htdocs", { source: "static", exclude: ["*.map"] }));
 * ```
 */
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, normalize } from "node:path";
import { CommandError, Component, ConfigurationError, DeploymentError, UpdateNeeded } from "../batou-core.ts";
import { Mode } from "./attributes.ts";

export interface DirectoryOptions {
  mode?: number | string;
  leadingDirs?: boolean;
  source?: string;
  exclude?: string[];
}

/** Lines of rsync's `--itemize-changes` output that are real differences. */
function itemized(stdout: string): string[] {
  return stdout
    .split("\n")
    .map((line) => line.trimEnd())
    .filter((line) => line && !line.startsWith("created ") && !/^\S+ \.\/$/.test(line));
}

export class Directory extends Component {
  static override namevar = "path";
  path = "";
  mode: number | string | undefined = undefined;
  /** Create missing parents too. */
  leadingDirs = false;
  /** A folder (next to component.ts, or absolute) whose content this directory mirrors. */
  source: string | undefined = undefined;
  /** Patterns (rsync syntax) not synced from `source`, and not deleted in the target. */
  exclude: string[] = [];

  private _mode?: Mode;

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
    this._mode = this.mode !== undefined ? this.use(new Mode(this.target, { mode: this.mode })) : undefined;
    const source = this.sourcePath;
    if (source !== undefined && !(existsSync(source) && statSync(source).isDirectory())) {
      throw new ConfigurationError(`source folder not found: ${source}`, { component: this.breadcrumbs });
    }
    if (!Array.isArray(this.exclude) || this.exclude.some((pattern) => typeof pattern !== "string")) {
      throw new ConfigurationError(`Directory('${this.path}'): exclude must be a list of patterns`, { component: this.breadcrumbs });
    }
  }

  private rsyncArgs(dryRun: boolean): string[] {
    return [
      "rsync",
      "--recursive",
      "--links",
      "--perms",
      "--times",
      "--delete",
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

  override async verify(): Promise<void> {
    if (!existsSync(this.target)) {
      if (!this.leadingDirs && !existsSync(dirname(this.target)) && !this.predicting) {
        throw new ConfigurationError(`the parent of ${this.target} does not exist`, {
          component: this.breadcrumbs,
          hint: "use { leadingDirs: true } to create it",
        });
      }
      if (this.source !== undefined) await this.reportSync();
      throw new UpdateNeeded(`${this.target} does not exist`);
    }
    if (!statSync(this.target).isDirectory()) {
      throw new ConfigurationError(`${this.target} exists but is not a directory`, { component: this.breadcrumbs });
    }
    if (this.source !== undefined && (await this.reportSync()) > 0) throw new UpdateNeeded(`${this.target} differs from ${this.sourcePath}`);
    await this._mode?.verify();
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
    if (!existsSync(this.target)) mkdirSync(this.target, { recursive: this.leadingDirs });
    if (this.source !== undefined) await this.rsync(false);
    if (this._mode) {
      try {
        await this._mode.verify();
      } catch {
        await this._mode.update();
      }
    }
  }
}
