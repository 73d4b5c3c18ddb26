/**
 * Temporary folders and files of the tests: a unique folder (mkdtemp, never a
 * fixed name) that `using` or `cleanup()` removes, and writing a file into a
 * tree with its folders.
 *
 * ```ts
 * using tmp = tempDir("batou-x-");
 * writeTree(tmp.path, "a/b/c.txt", "hello\n");
 * ```
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** A temp folder, removed by `cleanup()` or when a `using` scope ends. */
export interface TempDir extends Disposable {
  path: string;
  cleanup(): void;
}

/** A fresh folder in the system temp folder, named `PREFIX` and a unique suffix. */
export function tempDir(prefix = "batou-test-"): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  const cleanup = () => rmSync(path, { recursive: true, force: true });
  return { path, cleanup, [Symbol.dispose]: cleanup };
}

/** Writes `content` to `root/relative`, creating the folders on the way. */
export function writeTree(root: string, relative: string, content: string | Uint8Array): void {
  mkdirSync(dirname(join(root, relative)), { recursive: true });
  writeFileSync(join(root, relative), content);
}
