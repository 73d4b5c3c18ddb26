/**
 * The symlink policy of the file family, in one place. A deployment often runs
 * as root, or writes into folders another user can write too; a symlink planted
 * there must not turn a write, a chmod, a diff or a delete into one somewhere
 * else. So:
 *
 * - the final component of a managed path is never followed: it is looked at
 *   with `lstat` and read with `O_NOFOLLOW` (`lookAt`, `readNoFollow`);
 * - a symlink among the parents is followed only when it is trusted: owned by
 *   root or by the deploying user, in a folder that nobody else can change
 *   (owned by root or the deploying user, not group- or world-writable unless
 *   sticky). Others are refused (`checkParents`).
 *
 * @module
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, readSync, type Stats, statSync } from "node:fs";
import { dirname, sep } from "node:path";
import { DeploymentError } from "../batou-core.ts";

/** What a path is, without following a symlink at it. */
export type Found =
  | { kind: "missing" }
  | { kind: "file"; stat: Stats }
  | { kind: "directory"; stat: Stats }
  | { kind: "symlink"; stat: Stats; target: string }
  | { kind: "other"; stat: Stats };

/** Looks at `path` with lstat: a symlink there is reported, never followed. */
export function lookAt(path: string): Found {
  let stat: Stats;
  try {
    stat = lstatSync(path);
  } catch (error) {
    if (isMissing(error)) return { kind: "missing" };
    throw error;
  }
  if (stat.isSymbolicLink()) return { kind: "symlink", stat, target: readlinkSync(path) };
  if (stat.isFile()) return { kind: "file", stat };
  if (stat.isDirectory()) return { kind: "directory", stat };
  return { kind: "other", stat };
}

/** ENOENT or ENOTDIR: nothing is there. */
export function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/**
 * Opens `path` without following a symlink at it (O_NOFOLLOW; O_NONBLOCK so a
 * FIFO planted there cannot hang the deploy). Throws ELOOP for a symlink.
 */
export function openNoFollow(path: string, flags = constants.O_RDONLY): number {
  return openSync(path, flags | constants.O_NOFOLLOW | constants.O_NONBLOCK);
}

/** Reads a regular file's bytes without following a symlink at `path`. */
export function readNoFollow(path: string): Uint8Array {
  const fd = openNoFollow(path);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new DeploymentError(`${path} is not a regular file`, { path });
    const bytes = new Uint8Array(stat.size);
    let offset = 0;
    while (offset < bytes.length) {
      const read = readSync(fd, bytes, offset, bytes.length - offset, offset);
      if (read === 0) return bytes.subarray(0, offset); // shrank while reading
      offset += read;
    }
    return bytes;
  } finally {
    closeSync(fd);
  }
}

const euid = () => process.geteuid?.() ?? -1;

/** Owned by root or by the user batou runs as. */
function ownedByUs(stat: Stats): boolean {
  return stat.uid === 0 || stat.uid === euid();
}

/** Nobody but root and us can add, remove or replace entries in this folder. */
function onlyWeChange(folder: Stats): boolean {
  const sticky = (folder.mode & 0o1000) !== 0;
  return ownedByUs(folder) && ((folder.mode & 0o022) === 0 || sticky);
}

/** Why the symlink `link` is not trusted (see the module comment), or undefined when it is. */
function distrust(link: string, stat: Stats): string | undefined {
  if (!ownedByUs(stat)) return `${link} is a symlink owned by uid ${stat.uid}`;
  const folder = statSync(dirname(link));
  if (!onlyWeChange(folder)) return `${link} is a symlink in ${dirname(link)}, which uid ${folder.uid} or others can change`;
  return undefined;
}

/**
 * Refuses `path` when one of its parent folders is an untrusted symlink (see
 * the module comment). Parents that do not exist yet end the check: they will
 * be created as real folders.
 */
export function checkParents(path: string, context: Record<string, string>): void {
  const parts = dirname(path).split(sep).filter(Boolean);
  let current = "";
  for (const part of parts) {
    current += sep + part;
    let stat: Stats;
    try {
      stat = lstatSync(current);
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    if (!stat.isSymbolicLink()) continue;
    const reason = distrust(current, stat);
    if (reason) {
      throw new DeploymentError(`refusing to follow a symlink to reach ${path}`, {
        ...context,
        path,
        symlink: `${reason}: another user could point it anywhere`,
        hint: "replace the symlink by a folder, or use the path it points to",
      });
    }
  }
}
