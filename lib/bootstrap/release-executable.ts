/**
 * The standalone executable of a released batou for a remote host
 * (`bun build --compile`, ~100 MB): the release's `batou-linux-ARCH` artifact
 * when it ships one (downloaded on demand into the release's cache folder and
 * checked against the signed manifest), else compiled here from the release's
 * verified batou.js. For lib/remote when batou runs as a release bundle.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { replaceAtomic } from "../engine/atomic-file.ts";
import { download, ReleaseError, sha256, verifyCached, verifyFile } from "./launcher.ts";
import { readPin } from "./pin.ts";
import { RELEASE } from "./release-info.ts";
import { COMPILE_FLAGS } from "../compile-flags.ts";

export interface ReleaseRef {
  /** The verified release folder in the cache ($XDG_CACHE_HOME/batou/VERSION). */
  dir: string;
  version: string;
  url: string;
  keys: string[];
}

/**
 * The release this batou runs from (a launcher imported the cached batou.js),
 * or undefined in a source checkout or a compiled executable.
 */
export function runningRelease(): ReleaseRef | undefined {
  if (!RELEASE.released || !existsSync(join(import.meta.dir, "manifest.json"))) return undefined;
  let url = RELEASE.url;
  const launcher = process.env.BATOU_LAUNCHER;
  try {
    if (launcher) url = readPin(readFileSync(launcher, "utf8")).url;
  } catch {}
  url = process.env.BATOU_RELEASE_URL || url;
  return { dir: import.meta.dir, version: RELEASE.version, url, keys: RELEASE.publicKeys };
}

/** The release's executable artifact for linux-`arch` in its signed manifest, if it ships one. */
function artifact(release: ReleaseRef, arch: "x64" | "arm64") {
  const manifest = verifyCached(release.dir, release.version, release.keys);
  const shipped = manifest.files.find((f) => f.role === "executable" && f.target === `bun-linux-${arch}`);
  return { shipped, path: join(release.dir, shipped?.name ?? `batou-linux-${arch}`) };
}

/**
 * The sha256 the executable for linux-`arch` must have: the signed manifest's,
 * or the one recorded when it was compiled here (undefined before that). A
 * file in the cache is never trusted for being there: lib/remote checks its
 * content against this before shipping it.
 */
export function releaseExecutableSha256(release: ReleaseRef, arch: "x64" | "arm64"): string | undefined {
  const { shipped, path } = artifact(release, arch);
  if (shipped) return shipped.sha256;
  try {
    return readFileSync(`${path}.sha256`, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Path of a verified (or locally compiled) executable for linux-`arch`. */
export async function releaseExecutable(release: ReleaseRef, arch: "x64" | "arm64", log: (m: string) => void = () => {}): Promise<string> {
  const { shipped, path } = artifact(release, arch);
  const name = shipped?.name ?? `batou-linux-${arch}`;
  const target = `bun-linux-${arch}`;
  // only ever renamed into place after verifying or building (a compiled one with its recorded sha256)
  if (existsSync(path) && (shipped || releaseExecutableSha256(release, arch))) return path;
  return replaceAtomic(path, async (temp) => {
    if (shipped) {
      const url = `${release.url.replace(/\/+$/, "")}/${release.version}/${name}`;
      log(`fetching ${url}`);
      const bytes = await download(url, 600_000);
      verifyFile(shipped, bytes, url);
      writeFileSync(temp, bytes, { mode: 0o755 });
    } else {
      log(`compiling ${name} from ${join(release.dir, "batou.js")}`);
      const args = [process.execPath, "build", "--compile", ...COMPILE_FLAGS, join(release.dir, "batou.js"), "--target", target, "--outfile", temp];
      const proc = Bun.spawn(args, { stdout: "pipe", stderr: "pipe" });
      const [err, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
      if (code !== 0) throw new ReleaseError(`${args.join(" ")} failed: ${err.trim().split("\n").slice(-5).join("\n")}`);
      writeFileSync(`${path}.sha256`, `${sha256(readFileSync(temp))}\n`);
    }
    return path;
  });
}
