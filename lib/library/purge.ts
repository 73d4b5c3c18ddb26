/**
 * `Purge`: nothing matches a glob pattern. Matching files and symlinks are
 * unlinked, matching directories removed with their content (a symlink to a
 * directory is only unlinked). Relative patterns are inside the workdir.
 *
 * @example
 * ```ts
 * this.add(new Purge("releases/*.tmp"));
 * this.add(new Purge("/srv/app/cache/**"));
 * ```
 */
import { existsSync, lstatSync, rmSync } from "node:fs";
import { join, sep } from "node:path";
import { Component, ConfigurationError, UpdateNeeded } from "../batou-core.ts";

const GLOB_CHARS = /[*?[\]{}]/;

export class Purge extends Component {
  static override namevar = "pattern";
  /** A shell-style glob (`*`, `?`, `[...]`, `{a,b}`, `**`); `*` does not match dot files. */
  pattern = "";

  constructor(pattern: string) {
    super(pattern);
  }

  /** The mapped pattern split into the folder without glob characters and the rest. */
  private split(): { base: string; rest: string } {
    const absolute = this.map(this.pattern);
    const parts = absolute.split(sep);
    const index = parts.findIndex((part) => GLOB_CHARS.test(part));
    if (index === -1) return { base: parts.slice(0, -1).join(sep) || sep, rest: parts.at(-1)! };
    return { base: parts.slice(0, index).join(sep) || sep, rest: parts.slice(index).join("/") };
  }

  override configure(): void {
    const { base, rest } = this.split();
    if (!this.pattern.trim() || !rest || (base === sep && GLOB_CHARS.test(rest.split("/")[0]!))) {
      throw new ConfigurationError(`Purge('${this.pattern}') would match top-level folders of the file system; refusing`, {
        component: this.breadcrumbs,
        hint: "use a pattern below a specific folder",
      });
    }
  }

  /** The absolute paths that match now, sorted. */
  matches(): string[] {
    const { base, rest } = this.split();
    if (!existsSync(base)) return [];
    if (!GLOB_CHARS.test(rest)) {
      const path = join(base, rest);
      try {
        lstatSync(path);
        return [path];
      } catch {
        return [];
      }
    }
    const glob = new Bun.Glob(rest);
    return [...glob.scanSync({ cwd: base, onlyFiles: false, followSymlinks: false, dot: false })].map((p) => join(base, p)).sort();
  }

  override async verify(): Promise<void> {
    const found = this.matches();
    if (found.length === 0) return;
    const shown = found.slice(0, 20).join("\n  ");
    this.log(`${this.predicting ? "would remove" : "removing"} ${found.length} path(s):\n  ${shown}${found.length > 20 ? "\n  ..." : ""}`);
    throw new UpdateNeeded(`${found.length} path(s) match ${this.pattern}`);
  }

  override async update(): Promise<void> {
    for (const path of this.matches()) {
      let stat;
      try {
        stat = lstatSync(path);
      } catch {
        continue; // removed with a folder matched before
      }
      rmSync(path, { recursive: stat.isDirectory(), force: true });
    }
  }
}
