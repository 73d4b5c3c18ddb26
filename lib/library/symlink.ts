import { symlinkSync } from "node:fs";
import { Component, ConfigurationError, DeploymentError, replaceAtomic, UpdateNeeded } from "../batou-core.ts";
import { checkParents, lookAt } from "./safe-path.ts";

/**
 * `Symlink`: `path` is a symbolic link to `target`, written into the link as
 * given (a relative target is relative to the link's folder). It is replaced
 * atomically; an existing file or directory at `path` is an error, never
 * overwritten.
 *
 * @example
 * ```ts
 * this.add(new Symlink("current", { target: "releases/2024-06-01" }));
 * ```
 */
export class Symlink extends Component {
  static override namevar = "path";
  /** The link; relative paths are inside the workdir. */
  path = "";
  /** What the link points to, as written into the link. */
  target = "";

  constructor(path: string, options: Pick<Symlink, "target">) {
    super(path, options);
  }

  override configure(): void {
    if (!this.target) throw new ConfigurationError(`Symlink('${this.path}') needs a target`, { component: this.breadcrumbs });
  }

  override lastUpdated(): number | undefined {
    const found = lookAt(this.map(this.path));
    return found.kind === "missing" ? undefined : found.stat.mtimeMs;
  }

  override async verify(): Promise<void> {
    const link = this.map(this.path);
    checkParents(link, { component: this.breadcrumbs });
    const found = lookAt(link);
    if (found.kind === "missing") throw new UpdateNeeded(`${link} does not exist`);
    if (found.kind !== "symlink") {
      throw new DeploymentError(`${link} exists and is not a symlink; refusing to replace it`, { component: this.breadcrumbs });
    }
    if (found.target !== this.target) throw new UpdateNeeded(`${link} points to ${found.target}`);
  }

  override async update(): Promise<void> {
    const link = this.map(this.path);
    checkParents(link, { component: this.breadcrumbs });
    replaceAtomic(link, (temporary) => symlinkSync(this.target, temporary));
  }
}
