/**
 * Test helpers for the bootstrap: release builds (`bun run release` into a
 * temp dir with a throwaway key), a loopback server for several release
 * directories, and running commands with a private HOME and cache.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateSigningKey, parseSigningKey, sign } from "../../lib/bootstrap/sign.ts";
import { sha256 } from "../../lib/bootstrap/launcher.ts";

export const REPO = join(import.meta.dir, "..", "..");

export { tempDir } from "../helpers/temp.ts";

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command asynchronously (the in-process server must keep answering). */
export async function run(cmd: string[], opts: { cwd: string; env: Record<string, string>; stdin?: string }): Promise<Result> {
  const proc = Bun.spawn(cmd, {
    cwd: opts.cwd,
    env: opts.env,
    stdin: opts.stdin === undefined ? "ignore" : new TextEncoder().encode(opts.stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** A minimal environment: PATH, a private HOME and XDG_CACHE_HOME, no colour. */
export function userEnv(home: string, cache: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, XDG_CACHE_HOME: cache, NO_COLOR: "1" };
  if (process.env.TMPDIR) env.TMPDIR = process.env.TMPDIR;
  return { ...env, ...extra };
}

/** Serves named release directories at http://127.0.0.1:PORT/NAME/..., counting requests. */
export class ReleaseServer {
  readonly roots = new Map<string, string>();
  requests: string[] = [];
  private server: ReturnType<typeof Bun.serve> | undefined;
  port = 0;

  start(port = 0): void {
    this.server = Bun.serve({
      hostname: "127.0.0.1",
      port,
      fetch: async (req) => {
        const path = decodeURIComponent(new URL(req.url).pathname);
        this.requests.push(path);
        const [, name, ...rest] = path.split("/");
        const root = this.roots.get(name ?? "");
        if (!root || rest.some((p) => p === ".." || p === "")) return new Response("not found\n", { status: 404 });
        const file = Bun.file(join(root, ...rest));
        return (await file.exists()) ? new Response(file) : new Response("not found\n", { status: 404 });
      },
    });
    this.port = this.server.port!;
  }

  stop(): void {
    this.server?.stop(true);
    this.server = undefined;
  }

  url(name: string): string {
    return `http://127.0.0.1:${this.port}/${name}`;
  }
}

/** A throwaway release key (never the project's). */
export function throwawayKey(): { secret: string; publicKey: string } {
  return generateSigningKey();
}

/** `bun run release --out OUT` with a version, URL and key from the environment. */
export async function release(out: string, version: string, url: string, secret: string): Promise<Result> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    BATOU_RELEASE_KEY: secret,
    BATOU_RELEASE_URL: url,
    BATOU_RELEASE_VERSION: version,
  };
  if (process.env.TMPDIR) env.TMPDIR = process.env.TMPDIR;
  return run(["bun", "run", "release", "--out", out], { cwd: REPO, env });
}

/** A script that, if ever run, leaves a marker file: proof that nothing unverified runs. */
export function markerScript(marker: string): string {
  return `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "executed\\n");\nconsole.log("EVIL RAN");\nprocess.exit(0);\n`;
}

/** Copies release directory `from` (one version `version`) to `to` for tampering. */
export function copyRelease(from: string, to: string, version: string): string {
  mkdirSync(to, { recursive: true });
  cpSync(join(from, version), join(to, version), { recursive: true });
  cpSync(join(from, "latest"), join(to, "latest"));
  return join(to, version);
}

/** Rewrites a manifest entry for `name` to match `bytes`; returns the new manifest bytes. */
export function rewriteManifest(dir: string, name: string, bytes: Uint8Array): Uint8Array {
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  const entry = manifest.files.find((f: { name: string }) => f.name === name);
  entry.sha256 = sha256(bytes);
  entry.size = bytes.length;
  const out = new TextEncoder().encode(JSON.stringify(manifest, null, 2) + "\n");
  writeFileSync(join(dir, "manifest.json"), out);
  return out;
}

/** Signs `dir`'s manifest.json with `secret` (base64), replacing manifest.json.sig. */
export function resign(dir: string, secret: string): void {
  const bytes = readFileSync(join(dir, "manifest.json"));
  writeFileSync(join(dir, "manifest.json.sig"), sign(bytes, parseSigningKey(secret)) + "\n");
}

export function remove(path: string): void {
  rmSync(path, { recursive: true, force: true });
}
