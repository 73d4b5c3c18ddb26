/**
 * Atomic replacement of a path, written once for the whole of batou: the new
 * content is created under a temporary name beside the target
 * (`.NAME.batou-PID-RANDOM`) and renamed over it, so no process ever sees half a
 * file and a failure leaves the old one in place.
 *
 * - `writeFileAtomic(path, data, { mode })` for bytes or text at once;
 * - `AtomicFile` for content that arrives in parts (a download);
 * - `replaceAtomic(path, create)` for anything else created at a name (a
 *   symlink, an executable a compiler writes).
 *
 * The rename replaces the target's directory entry: a symlink at the target is
 * replaced, never written through. The temporary is created with O_EXCL, which
 * refuses an existing name, symlinks included.
 *
 * No fsync by default: it made a first deploy of many small files about a third
 * slower, and neither Python batou nor Ansible's atomic_move pays it. The
 * rename is atomic for every process; after a power loss the next deploy's
 * verify() finds and rewrites any file that did not reach the disk. Pass
 * `fsync: true` for big files fetched at a cost (downloads).
 *
 * A process killed between writing and renaming leaves its temporary behind;
 * the first atomic write into that directory by a later process removes such
 * leftovers whose process is gone.
 *
 * @module
 */
import { closeSync, fchmodSync, fsyncSync, lstatSync, openSync, readdirSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { processAlive } from "./process-info.ts";

/** `.NAME.batou-PID-RANDOM`: the temporary names this module creates (and cleans up). */
const TEMPORARY = /^\..+\.batou-(\d+)-[a-z0-9]{6}$/;

export interface AtomicWriteOptions {
  /** The new file's permission bits, exactly (default 0o644; the umask does not apply). */
  mode?: number;
  /** Flush the data to the disk before the rename (default false). */
  fsync?: boolean;
}

/** A fresh temporary name beside `path`. */
export function temporaryPath(path: string): string {
  const random = Math.random().toString(36).slice(2, 8).padEnd(6, "0");
  return join(dirname(path), `.${basename(path)}.batou-${process.pid}-${random}`);
}

/** Directories already cleaned of leftovers by this process. */
const cleaned = new Set<string>();

/**
 * Removes temporaries in `dir` that a process that is gone left behind (once
 * per directory and process; errors are ignored: this is housekeeping).
 */
export function removeStaleTemporaries(dir: string): void {
  if (cleaned.has(dir)) return;
  cleaned.add(dir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const match = TEMPORARY.exec(name);
    if (!match || Number(match[1]) === process.pid || processAlive(Number(match[1]))) continue;
    try {
      const path = join(dir, name);
      if (!lstatSync(path).isDirectory()) rmSync(path, { force: true });
    } catch {}
  }
}

/** A file written in parts under a temporary name; `commit()` renames it over the target. */
export class AtomicFile {
  readonly temporary: string;
  private fd: number | undefined;

  constructor(
    readonly path: string,
    private readonly options: AtomicWriteOptions = {},
  ) {
    removeStaleTemporaries(dirname(path));
    this.temporary = temporaryPath(path);
    this.fd = openSync(this.temporary, "wx", 0o600);
    try {
      fchmodSync(this.fd, options.mode ?? 0o644);
    } catch (error) {
      this.abort();
      throw error;
    }
  }

  /** Appends `data` (text is written as UTF-8). */
  write(data: string | Uint8Array): void {
    if (this.fd === undefined) throw new Error(`${this.temporary} is closed`);
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    try {
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(this.fd, bytes, offset);
    } catch (error) {
      this.abort();
      throw error;
    }
  }

  /** Closes the temporary and renames it over the target. */
  commit(): void {
    if (this.fd === undefined) throw new Error(`${this.temporary} is closed`);
    try {
      if (this.options.fsync) fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = undefined;
      renameSync(this.temporary, this.path);
    } catch (error) {
      this.abort();
      throw error;
    }
  }

  /** Discards the temporary; the target is untouched. Safe to call twice. */
  abort(): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {}
      this.fd = undefined;
    }
    rmSync(this.temporary, { force: true });
  }
}

/** Writes `data` to `path` atomically; the file gets exactly `options.mode` (default 0o644). */
export function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const file = new AtomicFile(path, options);
  file.write(data);
  file.commit();
}

/**
 * Lets `create(temporary)` make something at a temporary name beside `path`
 * (a symlink, a file a compiler writes), then renames it over `path`. When
 * `create` throws (or its promise rejects) the temporary is removed and the
 * target is untouched. Returns what `create` returns.
 */
export function replaceAtomic<T>(path: string, create: (temporary: string) => T): T {
  removeStaleTemporaries(dirname(path));
  const temporary = temporaryPath(path);
  const discard = () => rmSync(temporary, { force: true, recursive: false });
  const rename = () => {
    try {
      renameSync(temporary, path);
    } catch (error) {
      discard();
      throw error;
    }
  };
  let result: T;
  try {
    result = create(temporary);
  } catch (error) {
    discard();
    throw error;
  }
  if (result instanceof Promise) {
    return result.then(
      (value) => (rename(), value),
      (error) => {
        discard();
        throw error;
      },
    ) as T;
  }
  rename();
  return result;
}
