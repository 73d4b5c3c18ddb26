/**
 * A fingerprint of a project tree as rsync sees it: every directory, file
 * and symlink that the project shipment would transfer (the same excludes),
 * with what `rsync --recursive --links --perms --times` keeps: file size,
 * mtime (to the millisecond), permission bits, symlink targets, directory modes.
 *
 * The deploying machine and the agent each compute it (the agent in its
 * target directory). Equal fingerprints mean nothing needs to be shipped, so
 * a no-op redeploy ships nothing. Any doubt (a file edited on the host) makes
 * the fingerprints differ; the agent then lists its entries and the
 * deploying machine sends what differs (project-sync.ts) or runs rsync.
 * Milliseconds (floored), because that is what both rsync and the agent can
 * set exactly (Node's utimes takes a double; a Date keeps whole milliseconds).
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

/** One directory, file or symlink below the project root (`path` relative, `/`-separated). */
export type ManifestEntry =
  | { kind: "d"; path: string; mode: number }
  | { kind: "f"; path: string; mode: number; size: number; mtimeMs: number }
  | { kind: "l"; path: string; target: string };

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

/** The entries of the tree at `root` without what `excludes` leave out, parents before children, names sorted. */
export function manifestEntries(root: string, excludes: string[]): ManifestEntry[] {
  const entries: ManifestEntry[] = [];
  walkTree(root, excludes, ({ kind, relative: path, path: full, stat }) => {
    const mode = Number(stat.mode & 0o7777n);
    if (kind === "d") entries.push({ kind, path, mode });
    else if (kind === "f") entries.push({ kind, path, mode, size: Number(stat.size), mtimeMs: Number(stat.mtimeNs / 1_000_000n) });
    else entries.push({ kind, path, target: readlinkSync(full) });
  });
  return entries;
}

/** One entry as the fingerprint hashes it (equal lines: nothing to ship for that path). */
export function entryLine(entry: ManifestEntry): string {
  switch (entry.kind) {
    case "d":
      return `d\0${entry.path}\0${entry.mode.toString(8)}\n`;
    case "f":
      return `f\0${entry.path}\0${entry.mode.toString(8)}\0${entry.size}\0${entry.mtimeMs}\n`;
    case "l":
      return `l\0${entry.path}\0${entry.target}\n`;
  }
}

/** The fingerprint of a list of entries. */
export function manifestOf(entries: ManifestEntry[]): ProjectManifest {
  const hasher = new Bun.CryptoHasher("sha256");
  for (const entry of entries) hasher.update(entryLine(entry));
  return { hash: hasher.digest("hex"), entries: entries.length };
}

/** The fingerprint of the tree at `root` without what `excludes` leave out. */
export function projectManifest(root: string, excludes: string[]): ProjectManifest {
  return manifestOf(manifestEntries(root, excludes));
}
