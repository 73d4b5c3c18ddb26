/**
 * `[vfs]`: local sandboxes. A development environment can deploy components
 * written for `/etc` or `/srv` into its own work directory instead: with
 * `sandbox = "Developer"` every absolute path `/p` becomes `work/_/p`; with
 * `sandbox = "Map"` the `"/prefix" = "/replacement"` rules apply, the longest
 * matching prefix first. Relative paths are never mapped (they are inside the
 * work directory already).
 */
import { mkdirSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import type { VfsSettings } from "./environment-schema.ts";

/** True when `path` is `prefix` or inside it (whole path segments). */
function under(path: string, prefix: string): boolean {
  const base = prefix.replace(/\/+$/, "");
  return path === base || path.startsWith(`${base}/`);
}

/**
 * The path mapping of `vfs` for an environment whose work directories are in
 * `workBase`. The Developer sandbox creates the parent of a mapped path (as
 * batou does), so a `File("/etc/app.conf")` can be written there.
 */
export function sandboxMap(vfs: VfsSettings, workBase: string): (path: string) => string {
  if (vfs.sandbox === "Developer") {
    return (path) => {
      if (!isAbsolute(path) || under(path, workBase)) return path;
      const mapped = join(workBase, "_", path);
      mkdirSync(dirname(mapped), { recursive: true });
      return mapped;
    };
  }
  const rules = [...vfs.rules].sort(([a], [b]) => b.length - a.length);
  return (path) => {
    if (!isAbsolute(path)) return path;
    for (const [prefix, replacement] of rules) {
      if (under(path, prefix)) return replacement.replace(/\/+$/, "") + path.slice(prefix.replace(/\/+$/, "").length);
    }
    return path;
  };
}
