/**
 * Atomic file replacement: write a temporary file beside the target, then
 * rename it over the target, so a failure never leaves a half-written file.
 *
 * No fsync per file: it made a first deploy of many small files about a
 * third slower, and neither batou nor Ansible's atomic_move pays it. The
 * rename is atomic for every process; after a power loss the next deploy's
 * verify() finds and rewrites any file that did not reach the disk.
 */
import { closeSync, fchmodSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** Writes `data` to `path` atomically; the file gets exactly `mode`. */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  const temp = join(dirname(path), `.${basename(path)}.batou-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, "wx", 0o600);
    fchmodSync(fd, mode);
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
}
