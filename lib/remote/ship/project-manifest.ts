/**
 * A fingerprint of a project tree as rsync sees it: every directory, file
 * and symlink that the project rsync would transfer (the same excludes),
 * with what `rsync --recursive --links --perms --times` keeps: file size,
 * mtime (nanoseconds) and permission bits, symlink targets, directory modes.
 *
 * The deploying machine and the agent each compute it (the agent in its
 * target directory). Equal fingerprints mean rsync would transfer nothing,
 * so a no-op redeploy skips the rsync and its three processes. Any doubt
 * (a file system without nanosecond mtimes, a file edited on the host)
 * makes the fingerprints differ, and rsync runs as before.
 *
 * ```ts
 * const { hash, entries } = projectManifest("/srv/project", ["/work", "*.nacl"]);
 * ```
 *
 * @module
 */
import { type BigIntStats, lstatSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";

export interface ProjectManifest {
  /** sha256 (hex) over the sorted entries. */
  hash: string;
  /** Directories, files and symlinks counted. */
  entries: number;
}

/** Rsync exclude patterns as used for the project: `/name` (anchored at the root) or a name glob (`*.nacl`). */
function matcher(excludes: string[]): (relative: string, name: string) => boolean {
  const anchored = new Set<string>();
  const globs: RegExp[] = [];
  for (const pattern of excludes) {
    if (pattern.startsWith("/") && !/[*?[]/.test(pattern)) anchored.add(pattern.slice(1));
    else if (!pattern.includes("/")) {
      const source = pattern.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
      globs.push(new RegExp(`^${source}$`));
    } else throw new Error(`project manifest: unsupported exclude pattern "${pattern}"`);
  }
  return (relative, name) => anchored.has(relative) || globs.some((glob) => glob.test(name));
}

/** One entry of a tree as rsync would ship it. */
export interface TreeEntry {
  kind: "d" | "f" | "l";
  /** Relative to the root, `/`-separated. */
  relative: string;
  path: string;
  stat: BigIntStats;
}

/**
 * Visits every directory, file and symlink of the tree at `root` that rsync
 * would ship with `excludes`, sorted by name, each directory before what it
 * holds (sockets, fifos and devices are skipped, as rsync without
 * `--specials`/`--devices` does).
 */
export function walkTree(root: string, excludes: string[], visit: (entry: TreeEntry) => void): void {
  const excluded = matcher(excludes);
  const walk = (dir: string, prefix: string) => {
    for (const name of readdirSync(dir).sort()) {
      const relative = prefix ? `${prefix}/${name}` : name;
      if (excluded(relative, name)) continue;
      const path = join(dir, name);
      const stat = lstatSync(path, { bigint: true });
      if (stat.isDirectory()) {
        visit({ kind: "d", relative, path, stat });
        walk(path, relative);
      } else if (stat.isFile()) visit({ kind: "f", relative, path, stat });
      else if (stat.isSymbolicLink()) visit({ kind: "l", relative, path, stat });
    }
  };
  walk(root, "");
}

/** The fingerprint of the tree at `root` without what `excludes` leave out. */
export function projectManifest(root: string, excludes: string[]): ProjectManifest {
  const hasher = new Bun.CryptoHasher("sha256");
  let entries = 0;
  walkTree(root, excludes, ({ kind, relative, path, stat }) => {
    const mode = (stat.mode & 0o7777n).toString(8);
    if (kind === "d") hasher.update(`d\0${relative}\0${mode}\n`);
    else if (kind === "f") hasher.update(`f\0${relative}\0${mode}\0${stat.size}\0${stat.mtimeNs}\n`);
    else hasher.update(`l\0${relative}\0${readlinkSync(path)}\n`);
    entries++;
  });
  return { hash: hasher.digest("hex"), entries };
}
