/**
 * `Symlink`: `path` is a symbolic link to `target` (replaced atomically).
 *
 * @example
 * ```ts
 * this.add(new Symlink("current", { target: "releases/2024-06-01" }));
 * ```
 */
import { lstatSync, readlinkSync, symlinkSync } from "node:fs";
import { Component, ConfigurationError, UpdateNeeded, replaceAtomic } from "../batou-core.ts";

export class Symlink extends Component {
  static override namevar = "path";
  path = "";
  /** What the link points to, as written into the link. */
  target = "";

  constructor(path: string, options: { target: string }) {
    super(path, options);
  }

  override configure(): void {
    if (!this.target) throw new ConfigurationError(`Symlink('${this.path}') needs a target`, { component: this.breadcrumbs });
  }

  override async verify(): Promise<void> {
    const link = this.map(this.path);
    let current: string | undefined;
    try {
      current = lstatSync(link).isSymbolicLink() ? readlinkSync(link) : undefined;
    } catch {
      throw new UpdateNeeded(`${link} does not exist`);
    }
    if (current === undefined) {
      throw new ConfigurationError(`${link} exists and is not a symlink; refusing to replace it`, { component: this.breadcrumbs });
    }
    if (current !== this.target) throw new UpdateNeeded(`${link} points to ${current}`);
  }

  override async update(): Promise<void> {
    replaceAtomic(this.map(this.path), (temporary) => symlinkSync(this.target, temporary));
  }
}

