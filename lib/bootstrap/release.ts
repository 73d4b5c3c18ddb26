/**
 * Building a release directory (`bun run release`, scripts/release.ts):
 *
 *   OUT/bootstrap            the bootstrap script of the newest version
 *   OUT/latest               the newest version (text)
 *   OUT/latest.sig           its signature (see latest.ts)
 *   OUT/VERSION/batou.js     batou bundled for Bun (`bun build --target=bun`)
 *   OUT/VERSION/batou.d.ts   editor types for "batou"
 *   OUT/VERSION/launcher.ts  the launcher, pinned to VERSION
 *   OUT/VERSION/bootstrap    the bootstrap script of this version
 *   OUT/VERSION/batou-<target>  optional standalone executables
 *   OUT/VERSION/manifest.json, manifest.json.sig (ed25519, base64)
 *
 * Older versions stay; a release older than `latest` leaves latest and the
 * top-level bootstrap alone.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateTypes } from "./dts.ts";
import { latestSignedData } from "./latest.ts";
import { sha256 } from "./launcher.ts";
import { type ReleaseFile, manifestBytes } from "./manifest.ts";
import { renderLauncher } from "./new-project.ts";
import type { ReleaseInfo } from "./release-info.ts";
import { type SigningKey, sign } from "./sign.ts";
import { TRUSTED_RELEASE_KEYS } from "./trusted-keys.ts";
import { compareVersions } from "./versions.ts";
import { COMPILE_FLAGS } from "../compile-flags.ts";

export interface ReleaseOptions {
  /** The batou source tree. */
  repo: string;
  /** The release directory (dist/release). */
  out: string;
  version: string;
  /** The URL the release will be served at (baked into bootstrap and launcher). */
  url: string;
  key: SigningKey;
  /** `bun build --compile` targets, e.g. "bun-linux-x64" (optional, slow, ~100 MB each). */
  compileTargets?: string[];
  /** Replace an existing release of this version. */
  force?: boolean;
  log?: (message: string) => void;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** batou.js: batou.ts bundled for Bun, with `info` baked into lib/bootstrap/release-info.ts. */
async function bundle(repo: string, version: string, info: ReleaseInfo, outdir: string): Promise<Uint8Array> {
  const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8"));
  const result = await Bun.build({
    entrypoints: [join(repo, "batou.ts")],
    target: "bun",
    outdir,
    naming: "batou.js",
    plugins: [
      {
        name: "batou-release",
        setup(build) {
          build.onLoad({ filter: new RegExp(`^${escape(join(repo, "lib", "bootstrap", "release-info.ts"))}$`) }, () => ({
            contents: `export const RELEASE = ${JSON.stringify(info)};\n`,
            loader: "js",
          }));
          build.onLoad({ filter: new RegExp(`^${escape(join(repo, "package.json"))}$`) }, () => ({
            contents: JSON.stringify({ ...pkg, version }),
            loader: "json",
          }));
        },
      },
    ],
  });
  if (!result.success) throw new Error(`bundling batou failed:\n${result.logs.map(String).join("\n")}`);
  return new Uint8Array(readFileSync(join(outdir, "batou.js")));
}

/** Builds release `version` into OUT/VERSION and signs it; returns the folder. */
export async function buildRelease(options: ReleaseOptions): Promise<string> {
  const { repo, out, version, url, key } = options;
  const log = options.log ?? ((m: string) => console.log(m));
  if (!/^[0-9][0-9A-Za-z.+-]*$/.test(version)) throw new Error(`bad version ${JSON.stringify(version)} (e.g. 1.2.3 or 1.2.3-rc1)`);
  const dir = join(out, version);
  if (existsSync(dir) && !options.force) {
    throw new Error(`${dir} exists: a released version is immutable (launchers cache it); bump the version, or use --force`);
  }
  const trusted = TRUSTED_RELEASE_KEYS.includes(key.publicKey);
  if (!trusted) log(`warning: the signing key ${key.publicKey} is not in lib/bootstrap/trusted-keys.ts; launchers of this release trust only it`);
  const publicKeys = trusted ? TRUSTED_RELEASE_KEYS : [key.publicKey];

  mkdirSync(out, { recursive: true });
  const temp = join(out, `.${version}.tmp-${process.pid}`);
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(temp);
  try {
    const types = generateTypes(repo, version);
    const template = readFileSync(join(repo, "lib", "bootstrap", "launcher.ts"), "utf8");
    const launcher = renderLauncher({ version, url, keys: publicKeys }, template);
    const tool = await bundle(repo, version, { released: true, version, url, publicKeys, launcher: template, types }, temp);
    const bootstrap = readFileSync(join(repo, "lib", "bootstrap", "bootstrap.sh"), "utf8")
      .replaceAll("@BATOU_VERSION@", version)
      .replaceAll("@RELEASE_URL@", url)
      .replaceAll("@LAUNCHER_SHA256@", sha256(new TextEncoder().encode(launcher)));
    const enc = (s: string) => new TextEncoder().encode(s);
    const files: ReleaseFile[] = [
      { name: "batou.js", bytes: tool, role: "tool" },
      { name: "batou.d.ts", bytes: enc(types), role: "types" },
      { name: "launcher.ts", bytes: enc(launcher), role: "launcher" },
      { name: "bootstrap", bytes: enc(bootstrap), role: "bootstrap" },
    ];
    for (const target of options.compileTargets ?? []) {
      const name = `batou-${target.replace(/^bun-/, "")}`;
      log(`compiling ${name}`);
      const proc = Bun.spawnSync(
        [process.execPath, "build", "--compile", ...COMPILE_FLAGS, join(temp, "batou.js"), "--target", target, "--outfile", join(temp, name)],
        { cwd: repo, stdout: "inherit", stderr: "inherit" },
      );
      if (proc.exitCode !== 0) throw new Error(`compiling ${name} failed`);
      files.push({ name, bytes: new Uint8Array(readFileSync(join(temp, name))), role: "executable", target });
    }
    for (const file of files) writeFileSync(join(temp, file.name), file.bytes, { mode: file.name === "bootstrap" || file.role === "executable" ? 0o755 : 0o644 });
    const manifest = manifestBytes(version, files);
    writeFileSync(join(temp, "manifest.json"), manifest);
    writeFileSync(join(temp, "manifest.json.sig"), sign(manifest, key) + "\n");

    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    renameSync(temp, dir);

    const latestFile = join(out, "latest");
    const latest = existsSync(latestFile) ? readFileSync(latestFile, "utf8").trim() : undefined;
    if (latest === undefined || compareVersions(version, latest) >= 0) {
      writeFileSync(join(out, "bootstrap"), bootstrap, { mode: 0o755 });
      const latestBytes = new TextEncoder().encode(version + "\n");
      writeFileSync(`${latestFile}.sig`, sign(latestSignedData(latestBytes), key) + "\n");
      writeFileSync(latestFile, latestBytes);
    } else {
      log(`${version} is older than latest (${latest}): latest and bootstrap unchanged`);
    }
    log(`released batou ${version} into ${dir} (${files.map((f) => `${f.name} ${f.bytes.length} B`).join(", ")}), signed by ${key.publicKey}`);
    return dir;
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}
