/**
 * Shipping a small project change inside the agent protocol, instead of an
 * rsync run (a channel and four or five round trips): the agent lists its
 * project entries (project-manifest.ts), the deploying machine works out
 * what differs ({@link planSync}, pure) and sends it in one `sync` request
 * with the files' bytes ({@link syncParams}), pipelined with the `setup`
 * that follows; the agent applies it ({@link applySync}). What rsync
 * `--recursive --links --perms --times --delete` would do, with the same
 * excludes kept on the host: afterwards both sides have the same fingerprint.
 * Bigger changes ({@link SYNC_LIMIT_BYTES}) still go with rsync, which sends
 * deltas.
 *
 * The agent writes each file under a temporary name and renames it into place
 * (mode and mtime set first), never through a symlink: every parent must be a
 * real directory, and paths are checked (relative, no `.` or `..` segments).
 *
 * @module
 */
import { chmodSync, lstatSync, mkdirSync, readFileSync, rmdirSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { replaceAtomic } from "../../engine/atomic-file.ts";
import { BatouError } from "../../engine/errors.ts";
import { entryLine, type ManifestEntry } from "./project-manifest.ts";

/** The most file bytes a `sync` request carries; more goes with rsync (deltas). */
export const SYNC_LIMIT_BYTES = 4 << 20;

/** What makes `theirs` (the host's entries) equal to `ours`. */
export interface SyncPlan {
  /** Paths to remove, children before their parents. */
  remove: string[];
  /** Directories to create or chmod, parents first. */
  dirs: { path: string; mode: number }[];
  files: { path: string; mode: number; mtimeMs: number; size: number }[];
  links: { path: string; target: string }[];
}

/** The `sync` request: the plan with the files' bytes (base64). */
export interface SyncParams extends Omit<SyncPlan, "files"> {
  files: { path: string; mode: number; mtimeMs: number; content: string }[];
}

/** Compares two entry lists (as manifestEntries gives them). */
export function planSync(ours: ManifestEntry[], theirs: ManifestEntry[]): SyncPlan {
  const mine = new Map(ours.map((e) => [e.path, e]));
  const there = new Map(theirs.map((e) => [e.path, e]));
  const plan: SyncPlan = { remove: [], dirs: [], files: [], links: [] };
  // what the host has and we do not, or has as another kind (then it goes first, and is created anew)
  for (const entry of [...theirs].reverse()) {
    const wanted = mine.get(entry.path);
    if (!wanted || wanted.kind !== entry.kind) plan.remove.push(entry.path);
  }
  for (const entry of ours) {
    const existing = there.get(entry.path);
    if (existing && entryLine(existing) === entryLine(entry)) continue;
    if (entry.kind === "d") plan.dirs.push({ path: entry.path, mode: entry.mode });
    else if (entry.kind === "f") plan.files.push({ path: entry.path, mode: entry.mode, mtimeMs: entry.mtimeMs, size: entry.size });
    else plan.links.push({ path: entry.path, target: entry.target });
  }
  return plan;
}

/** Bytes of file content a plan sends. */
export function planBytes(plan: SyncPlan): number {
  return plan.files.reduce((sum, file) => sum + file.size, 0);
}

/**
 * The request for `plan`, with the files' bytes from the project at `root`.
 * A file that changed since the plan goes as it is now (its mode and mtime
 * with it); one that is gone or no longer a file is left out: either way
 * the next deployment's fingerprint tells.
 */
export function syncParams(root: string, plan: SyncPlan): SyncParams {
  const files: SyncParams["files"] = [];
  for (const file of plan.files) {
    const path = join(root, file.path);
    let content: Buffer;
    let st;
    try {
      st = lstatSync(path, { bigint: true });
      if (!st.isFile()) continue;
      content = readFileSync(path);
    } catch {
      continue;
    }
    files.push({ path: file.path, mode: Number(st.mode & 0o7777n), mtimeMs: Number(st.mtimeNs / 1_000_000n), content: content.toString("base64") });
  }
  return { ...plan, files };
}

/** A relative path of plain segments (no empty, `.` or `..` segment, no NUL). */
function checkedPath(path: string): string {
  const segments = path.split("/");
  if (!path || path.startsWith("/") || path.includes("\0") || segments.some((s) => s === "" || s === "." || s === "..")) {
    throw new BatouError(`refusing to write "${path}": not a plain relative path in the project`, { path });
  }
  return path;
}

/** Throws unless every parent of `path` below `root` is a real directory (never a symlink). */
function checkParents(root: string, path: string): void {
  const segments = path.split("/");
  for (let i = 1; i < segments.length; i++) {
    const parent = segments.slice(0, i).join("/");
    let st;
    try {
      st = lstatSync(join(root, parent));
    } catch {
      throw new BatouError(`cannot ship ${path}: its folder ${parent} is missing`, { path });
    }
    if (!st.isDirectory()) throw new BatouError(`refusing to ship ${path} through ${parent}: not a directory (a symlink is never followed)`, { path });
  }
}

/** Applies a `sync` request in the project at `root`; what was written and removed. */
export function applySync(root: string, params: SyncParams): { written: number; removed: number } {
  let removed = 0;
  for (const path of params.remove.map(checkedPath)) {
    checkParents(root, path);
    const full = join(root, path);
    let st;
    try {
      st = lstatSync(full);
    } catch {
      continue; // gone already
    }
    try {
      if (st.isDirectory()) rmdirSync(full);
      else unlinkSync(full);
      removed++;
    } catch (error) {
      // a folder that still holds excluded files stays, as with rsync --delete
      if ((error as NodeJS.ErrnoException).code !== "ENOTEMPTY") throw error;
    }
  }
  for (const dir of params.dirs) {
    const path = checkedPath(dir.path);
    checkParents(root, path);
    const full = join(root, path);
    try {
      mkdirSync(full, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || !lstatSync(full).isDirectory()) throw error;
    }
    chmodSync(full, dir.mode);
  }
  for (const file of params.files) {
    const path = checkedPath(file.path);
    checkParents(root, path);
    const time = new Date(file.mtimeMs);
    replaceAtomic(join(root, path), (temporary) => {
      writeFileSync(temporary, Buffer.from(file.content, "base64"), { flag: "wx", mode: 0o600 });
      chmodSync(temporary, file.mode);
      utimesSync(temporary, time, time);
    });
  }
  for (const link of params.links) {
    const path = checkedPath(link.path);
    checkParents(root, path);
    replaceAtomic(join(root, path), (temporary) => symlinkSync(link.target, temporary));
  }
  return { written: params.files.length + params.links.length + params.dirs.length, removed };
}
