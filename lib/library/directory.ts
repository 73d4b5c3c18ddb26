/**
 * `Directory`: a directory exists (optionally with its parents), with an
 * optional mode.
 *
 * @example
 * ```ts
 * this.add(new Directory("logs"));
 * this.add(new Directory("/srv/app/releases", { leadingDirs: true, mode: 0o750 }));
 * ```
 */
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { Component, ConfigurationError, UpdateNeeded } from "../batou-core.ts";
import { Mode } from "./attributes.ts";

export interface DirectoryOptions {
  mode?: number | string;
  leadingDirs?: boolean;
  source?: string;
  exclude?: string[];
}

export class Directory extends Component {
  static override namevar = "path";
  path = "";
  mode: number | string | undefined = undefined;
  /** Create missing parents too. */
  leadingDirs = false;
  /** A folder (next to component.ts, or absolute) whose content this directory mirrors. */
  source: string | undefined = undefined;
  /** Patterns (rsync syntax) not synced from `source`. */
  exclude: string[] = [];

  constructor(path: string, options: DirectoryOptions = {}) {
    super(path, options);
  }

  /** The absolute path. */
  get target(): string {
    return this.map(this.path);
  }

  override configure(): void {
    if (this.mode !== undefined) this.add(new Mode(this.target, { mode: this.mode }));
  }

  override async verify(): Promise<void> {
    if (!existsSync(this.target)) {
      if (!this.leadingDirs && !existsSync(dirname(this.target)) && !this.predicting) {
        throw new ConfigurationError(`the parent of ${this.target} does not exist`, {
          component: this.breadcrumbs,
          hint: "use { leadingDirs: true } to create it",
        });
      }
      throw new UpdateNeeded(`${this.target} does not exist`);
    }
    if (!statSync(this.target).isDirectory()) {
      throw new ConfigurationError(`${this.target} exists but is not a directory`, { component: this.breadcrumbs });
    }
  }

  override async update(): Promise<void> {
    mkdirSync(this.target, { recursive: this.leadingDirs });
  }
}
