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
import { lstatSync, readdirSync, readlinkSync } from "node:fs";
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

/** The fingerprint of the tree at `root` without what `excludes` leave out. */
export function projectManifest(root: string, excludes: string[]): ProjectManifest {
  const excluded = matcher(excludes);
  const hasher = new Bun.CryptoHasher("sha256");
  let entries = 0;
  const walk = (dir: string, prefix: string) => {
    const names = readdirSync(dir).sort();
    for (const name of names) {
      const relative = prefix ? `${prefix}/${name}` : name;
      if (excluded(relative, name)) continue;
      const path = join(dir, name);
      const st = lstatSync(path, { bigint: true });
      const mode = (st.mode & 0o7777n).toString(8);
      if (st.isDirectory()) {
        hasher.update(`d\0${relative}\0${mode}\n`);
        entries++;
        walk(path, relative);
      } else if (st.isFile()) {
        hasher.update(`f\0${relative}\0${mode}\0${st.size}\0${st.mtimeNs}\n`);
        entries++;
      } else if (st.isSymbolicLink()) {
        hasher.update(`l\0${relative}\0${readlinkSync(path)}\n`);
        entries++;
      }
      // sockets, fifos, devices: rsync without --specials/--devices skips them too
    }
  };
  walk(root, "");
  return { hash: hasher.digest("hex"), entries };
}
