import { lstatSync, rmSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { Component, ConfigurationError, DeploymentError, UpdateNeeded } from "../batou-core.ts";
import { checkParents, isMissing, lookAt } from "./safe-path.ts";

const GLOB_CHARS = /[*?[\]{}]/;

/** True when a folder between `base` and `path` (both excluded) is a symlink: the match lies elsewhere. */
function throughSymlink(base: string, path: string): boolean {
  const parts = relative(base, path).split(sep).slice(0, -1);
  let current = base;
  for (const part of parts) {
    current = join(current, part);
    if (lookAt(current).kind === "symlink") return true;
  }
  return false;
}

/**
 * `Purge`: nothing matches a glob pattern (`*`, `?`, `[...]`, `{a,b}`, `**`;
 * `*` does not match dot files). Matching files and symlinks (broken ones too)
 * are unlinked, matching directories removed with their content; a symlink is
 * only unlinked, never followed: the folder the pattern starts in must not be
 * a symlink, and matches behind a symlinked folder are not touched. Relative
 * patterns are inside the workdir; a pattern matching top-level folders of the
 * file system (`/*`) is refused.
 *
 * @example
 * ```ts
 * this.add(new Purge("releases/*.tmp"));
 * this.add(new Purge("/srv/app/cache/**"));
 * ```
 */
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

  /** The absolute paths that match now, sorted (none behind a symlinked folder). */
  matches(): string[] {
    const { base, rest } = this.split();
    checkParents(base, { component: this.breadcrumbs });
    const found = lookAt(base);
    if (found.kind === "missing") return [];
    if (found.kind === "symlink") {
      throw new DeploymentError(`${base} is a symlink (to ${found.target}); Purge does not remove files behind a symlink`, {
        component: this.breadcrumbs,
        pattern: this.pattern,
        hint: "purge in the folder it points to",
      });
    }
    if (!GLOB_CHARS.test(rest)) {
      const path = join(base, rest);
      return lookAt(path).kind === "missing" || throughSymlink(base, path) ? [] : [path];
    }
    const glob = new Bun.Glob(rest);
    return [...glob.scanSync({ cwd: base, onlyFiles: false, followSymlinks: false, dot: false })]
      .map((p) => join(base, p))
      .filter((path) => !throughSymlink(base, path))
      .sort();
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
      await this.stopIfInterrupted(); // a cache of 100,000 files must not keep a Ctrl-C waiting
      let directory: boolean;
      try {
        directory = lstatSync(path).isDirectory(); // a symlink is unlinked, never followed
      } catch (error) {
        if (isMissing(error)) continue; // removed with a folder matched before
        throw error;
      }
      rmSync(path, { recursive: directory, force: true });
    }
  }
}
