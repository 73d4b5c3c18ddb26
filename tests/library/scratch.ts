/**
 * Temporary folders of the library tests, removed after the test file that
 * made them (`afterAll(cleanupProjects)`) and, as a safety net for files that
 * forget, after the whole run (bunfig.toml preloads this module, which
 * registers a global `afterAll`). Kept free of heavy imports for that reason.
 */
import { afterAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Folders made by `scratchDir` and not yet removed. */
const folders = new Set<string>();

/** A temporary folder, removed by `cleanupProjects`. */
export function scratchDir(prefix = "batou-lib-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  folders.add(dir);
  return dir;
}

/** Removes every folder made so far. */
export function cleanupProjects(): void {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  folders.clear();
}

afterAll(cleanupProjects);
