#!/usr/bin/env bun
/**
 * batou launcher: run batou as `bun batou.ts deploy dev` (or `./batou.ts ...`).
 *
 * This file pins the exact batou version this project uses. On every run it
 * makes sure that release is in the per-user cache ($XDG_CACHE_HOME/batou/VERSION,
 * else ~/.cache/batou/VERSION) and verified: the ed25519 signature of its
 * manifest.json by one of PUBLIC_KEYS, then the sha256 of every file. A missing
 * release is downloaded from RELEASE_URL into a temporary folder that is moved
 * into place only when everything verified. Then it runs that batou with all
 * arguments (batou exits with its own exit code). Nothing unverified is run.
 *
 * `bun batou.ts update [VERSION]` moves the pin. BATOU_RELEASE_URL overrides
 * RELEASE_URL. Needs Bun only; no dependencies.
 */
import { createHash, verify } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

// The pin, written by the bootstrap, `batou init` and `batou update`. (All
// empty in the template inside batou itself, which therefore never launches.)
const VERSION: string = "";
const RELEASE_URL: string = "";
const PUBLIC_KEYS: string[] = [];

/** Revision of this launcher's code: `batou update` rewrites older launchers. */
export const LAUNCHER_REVISION = 1;

/** One file of a release, as listed in its manifest.json. */
export interface ManifestFile {
  name: string;
  size: number;
  sha256: string;
  /** "tool" (batou.js), "types" (batou.d.ts), "launcher", "executable" (for remote hosts). */
  role: string;
  target?: string;
}

export interface Manifest {
  format: number;
  name: string;
  version: string;
  launcherRevision: number;
  files: ManifestFile[];
}

/** The files a project needs locally; executables for remote hosts are fetched when needed. */
export const LOCAL_ROLES = ["tool", "types", "launcher"];

/** A release that cannot be fetched or does not verify. */
export class ReleaseError extends Error {
  override name = "ReleaseError";
}

/** The cache of verified releases: $XDG_CACHE_HOME/batou, else ~/.cache/batou. */
export function cacheRoot(env: Record<string, string | undefined> = process.env): string {
  const base = env.XDG_CACHE_HOME || join(env.HOME || homedir(), ".cache");
  return join(base, "batou");
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Whether `signature` (base64 text) is an ed25519 signature of `data` by one of `keys` (base64). */
export function signedBy(data: Uint8Array, signature: string, keys: string[]): boolean {
  const sig = Buffer.from(signature.trim(), "base64");
  if (sig.length !== 64) return false;
  return keys.some((key) => {
    const raw = Buffer.from(key, "base64");
    if (raw.length !== 32) return false;
    const jwk = { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") };
    try {
      return verify(null, data, { key: jwk, format: "jwk" }, sig);
    } catch {
      return false;
    }
  });
}

/**
 * Checks a release's manifest against its signature and returns it parsed.
 * `where` names the manifest in messages.
 */
export function verifyManifest(bytes: Uint8Array, signature: string, keys: string[], version: string, where: string): Manifest {
  if (!keys.length) throw new ReleaseError("no trusted release keys: cannot verify anything");
  if (!signedBy(bytes, signature, keys)) {
    throw new ReleaseError(`${where}: signature invalid (manifest.json.sig is not a signature of manifest.json by a trusted key)`);
  }
  const manifest = JSON.parse(new TextDecoder().decode(bytes)) as Manifest;
  if (manifest.version !== version) {
    throw new ReleaseError(`${where}: manifest is for version ${manifest.version}, expected ${version}`);
  }
  for (const file of manifest.files) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(file.name)) throw new ReleaseError(`${where}: bad file name ${JSON.stringify(file.name)}`);
  }
  return manifest;
}

/** Checks one file's size and sha256 against the manifest. */
export function verifyFile(file: ManifestFile, bytes: Uint8Array, where: string): void {
  const got = sha256(bytes);
  if (got !== file.sha256) throw new ReleaseError(`${where}: sha256 mismatch: expected ${file.sha256}, got ${got}`);
  if (bytes.length !== file.size) throw new ReleaseError(`${where}: size mismatch: expected ${file.size}, got ${bytes.length}`);
}

/** GETs `url`; a network failure or an HTTP error status is a ReleaseError naming the URL. */
export async function download(url: string, timeoutMs = 120_000): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new ReleaseError(`GET ${url}: ${(error as Error).message}`);
  }
  if (!response.ok) throw new ReleaseError(`GET ${url}: HTTP ${response.status} ${response.statusText}`.trimEnd());
  return new Uint8Array(await response.arrayBuffer());
}

/** Verifies a release folder in the cache; throws a ReleaseError naming what failed. */
export function verifyCached(dir: string, version: string, keys: string[]): Manifest {
  const manifest = verifyManifest(readFileSync(join(dir, "manifest.json")), readFileSync(join(dir, "manifest.json.sig"), "utf8"), keys, version, dir);
  for (const file of manifest.files.filter((f) => LOCAL_ROLES.includes(f.role))) {
    verifyFile(file, readFileSync(join(dir, file.name)), join(dir, file.name));
  }
  return manifest;
}

/**
 * Makes sure release `version` is in the cache and verified; returns its folder.
 * Downloads into a temporary folder renamed into place only when everything
 * verified, so a failed download never touches any cached release.
 */
export async function ensureRelease(
  version: string,
  url: string,
  keys: string[],
  log: (message: string) => void = (m) => console.error(m),
): Promise<string> {
  if (!/^[0-9A-Za-z][0-9A-Za-z.+-]*$/.test(version)) throw new ReleaseError(`bad version ${JSON.stringify(version)}`);
  const root = cacheRoot();
  const dir = join(root, version);
  if (existsSync(join(dir, "manifest.json"))) {
    try {
      verifyCached(dir, version, keys);
      return dir;
    } catch (error) {
      log(`batou: the cached release does not verify (${(error as Error).message}); fetching it again`);
    }
  }
  const base = `${url.replace(/\/+$/, "")}/${version}`;
  log(`batou: fetching batou ${version} from ${base}/`);
  const manifestBytes = await download(`${base}/manifest.json`);
  const signature = new TextDecoder().decode(await download(`${base}/manifest.json.sig`));
  const manifest = verifyManifest(manifestBytes, signature, keys, version, `${base}/manifest.json`);
  mkdirSync(root, { recursive: true });
  const temp = join(root, `.${version}.tmp-${process.pid}-${Date.now()}`);
  mkdirSync(temp);
  try {
    for (const file of manifest.files.filter((f) => LOCAL_ROLES.includes(f.role))) {
      const bytes = await download(`${base}/${file.name}`);
      verifyFile(file, bytes, `${base}/${file.name}`);
      writeFileSync(join(temp, file.name), bytes);
    }
    writeFileSync(join(temp, "manifest.json"), manifestBytes);
    writeFileSync(join(temp, "manifest.json.sig"), signature);
    if (existsSync(dir)) renameSync(dir, `${temp}.old`);
    try {
      renameSync(temp, dir);
    } catch (error) {
      if (!existsSync(join(dir, "manifest.json"))) throw error;
      verifyCached(dir, version, keys); // another run put it there first
    }
    return dir;
  } finally {
    rmSync(temp, { recursive: true, force: true });
    rmSync(`${temp}.old`, { recursive: true, force: true });
  }
}

/** Keeps the project's editor types (.batou/types/batou.d.ts) equal to the release's. */
function syncTypes(release: string, project: string): void {
  try {
    const types = readFileSync(join(release, "batou.d.ts"));
    const target = join(project, ".batou", "types", "batou.d.ts");
    if (existsSync(target) && readFileSync(target).equals(types)) return;
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, types);
  } catch {
    // types are a convenience for editors; never a reason to fail a run
  }
}

if (import.meta.main && VERSION) {
  let release: string;
  try {
    release = await ensureRelease(VERSION, process.env.BATOU_RELEASE_URL || RELEASE_URL, PUBLIC_KEYS);
  } catch (error) {
    console.error(`batou launcher: cannot run batou ${VERSION}: ${(error as Error).message}`);
    process.exit(1);
  }
  syncTypes(release, import.meta.dir);
  process.env.BATOU_LAUNCHER = import.meta.path;
  await import(join(release, "batou.js")); // batou ends the process with its exit code
}
