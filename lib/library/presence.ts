import { closeSync, constants, existsSync, openSync } from "node:fs";
import { basename, dirname } from "node:path";
import { Component, DeploymentError, replaceAtomic, UpdateNeeded } from "../batou-core.ts";
import { Directory } from "./directory.ts";
import { checkParents, lookAt } from "./safe-path.ts";

/**
 * `Presence`: a regular file exists at the path (created empty); its content
 * is never looked at or changed. A symlink there is replaced by an empty file
 * (never followed); a directory there is an error. `leadingDirs` creates the
 * missing parent folders.
 *
 * @example
 * ```ts
 * this.add(new Presence("logs/app.log", { leadingDirs: true }));
 * ```
 */
export class Presence extends Component {
  static override namevar = "path";
  /** The file; relative paths are inside the workdir. */
  path = "";
  /** Create missing parent folders too. */
  leadingDirs = false;

  constructor(path: string, options: Partial<Pick<Presence, "leadingDirs">> = {}) {
    super(path, options);
  }

  override configure(): void {
    this.path = this.map(this.path);
    if (this.leadingDirs) this.add(new Directory(dirname(this.path), { leadingDirs: true }));
  }

  override lastUpdated(): number | undefined {
    const found = lookAt(this.path);
    return found.kind === "missing" ? undefined : found.stat.mtimeMs;
  }

  override async verify(): Promise<void> {
    checkParents(this.path, { component: this.breadcrumbs });
    const found = lookAt(this.path);
    if (found.kind === "file") return;
    if (found.kind === "directory" || found.kind === "other") {
      throw new DeploymentError(`${this.path} exists and is not a regular file; refusing to replace it`, { component: this.breadcrumbs });
    }
    if (found.kind === "symlink") this.log(`${this.path} is a symlink (to ${found.target}); it would be replaced by an empty file`);
    throw new UpdateNeeded(`${this.path} does not exist`);
  }

  override async update(): Promise<void> {
    checkParents(this.path, { component: this.breadcrumbs });
    const folder = dirname(this.path);
    if (!existsSync(folder)) {
      throw new DeploymentError(`directory ${folder} does not exist (add a Directory or use leadingDirs: true)`, { component: this.breadcrumbs });
    }
    const found = lookAt(this.path);
    if (found.kind === "missing") {
      // O_EXCL: a file (or symlink) that appeared meanwhile is not opened.
      closeSync(openSync(this.path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o644));
    } else if (found.kind === "symlink") {
      replaceAtomic(this.path, (temporary) => closeSync(openSync(temporary, "wx", 0o644)));
    }
  }

  override get breadcrumb(): string {
    return `Presence('${basename(this.path)}')`;
  }
}
