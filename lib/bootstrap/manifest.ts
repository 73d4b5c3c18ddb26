/** A release's manifest.json: version, files with sizes and sha256 sums. */
import { LAUNCHER_REVISION, type Manifest, type ManifestFile, sha256 } from "./launcher.ts";

export type { Manifest, ManifestFile };

export interface ReleaseFile {
  name: string;
  bytes: Uint8Array;
  role: "tool" | "types" | "launcher" | "bootstrap" | "executable";
  target?: string;
}

/** The manifest of `files` as the bytes that get signed. */
export function manifestBytes(version: string, files: ReleaseFile[]): Uint8Array {
  const manifest: Manifest & { created: string } = {
    format: 1,
    name: "batou",
    version,
    launcherRevision: LAUNCHER_REVISION,
    created: new Date().toISOString(),
    files: files.map((f) => ({ name: f.name, size: f.bytes.length, sha256: sha256(f.bytes), role: f.role, ...(f.target ? { target: f.target } : {}) })),
  };
  return new TextEncoder().encode(JSON.stringify(manifest, null, 2) + "\n");
}
