/**
 * The bootstrap end to end, against real release directories (`bun run
 * release` with a throwaway key) served on loopback: bootstrap, deploy,
 * cached runs without network, refused downloads, `batou update`, `batou init`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { latestSignedData } from "../../lib/bootstrap/latest.ts";
import { signedBy } from "../../lib/bootstrap/launcher.ts";
import { readPin } from "../../lib/bootstrap/pin.ts";
import { startTestbed, testbedAvailability } from "../testbed/testbed.ts";
import {
  REPO,
  ReleaseServer,
  copyRelease,
  markerScript,
  release,
  remove,
  resign,
  rewriteManifest,
  run,
  tempDir,
  throwawayKey,
  userEnv,
} from "./helpers.ts";

const bed = testbedAvailability();
const V1 = "0.90.0";
const V2 = "0.91.0";
const hasCurl = Bun.which("curl") !== null;
const hasWget = Bun.which("wget") !== null;

const root = tempDir("batou-bootstrap-test-").path;
const served = join(root, "served");
const good = join(served, "good");
const home = join(root, "home");
const key = throwawayKey();
const server = new ReleaseServer();
const project = join(root, "project");
let cacheCount = 0;
const freshCache = () => join(root, `cache-${++cacheCount}`);
const mainCache = join(root, "cache-main");

/** Runs the bootstrap script from URL in `dir` (curl | sh when curl exists, else fetched here). */
async function bootstrap(dir: string, url: string, env: Record<string, string>) {
  mkdirSync(dir, { recursive: true });
  await run(["git", "init", "-q", "."], { cwd: dir, env });
  if (hasCurl) return run(["sh", "-c", `curl -sL ${url}/bootstrap | sh`], { cwd: dir, env });
  const script = await (await fetch(`${url}/bootstrap`)).text();
  return run(["sh"], { cwd: dir, env, stdin: script });
}

const batou = (args: string[], cwd: string, env: Record<string, string>) => run(["bun", "batou.ts", ...args], { cwd, env });

beforeAll(async () => {
  mkdirSync(home, { recursive: true });
  server.start();
  server.roots.set("good", good);
  const r = await release(good, V1, server.url("good"), key.secret);
  if (r.code !== 0) throw new Error(`release failed: ${r.stdout}${r.stderr}`);
});

afterAll(() => {
  server.stop();
  remove(root);
});

describe("bun run release", () => {
  test("writes a servable, signed release directory", () => {
    expect(readFileSync(join(good, "latest"), "utf8")).toBe(`${V1}\n`);
    const latestSig = readFileSync(join(good, "latest.sig"), "utf8");
    expect(signedBy(latestSignedData(readFileSync(join(good, "latest"))), latestSig, [key.publicKey])).toBe(true);
    const bootstrapScript = readFileSync(join(good, "bootstrap"), "utf8");
    expect(bootstrapScript.startsWith("#!/bin/sh")).toBe(true);
    expect(bootstrapScript).toContain(`url="\${BATOU_RELEASE_URL:-${server.url("good")}}"`);
    expect(bootstrapScript).toContain(`version="${V1}"`);
    const files = readdirSync(join(good, V1)).sort();
    expect(files).toEqual(["batou.d.ts", "batou.js", "bootstrap", "launcher.ts", "manifest.json", "manifest.json.sig"]);
    const manifestBytes = readFileSync(join(good, V1, "manifest.json"));
    const manifest = JSON.parse(manifestBytes.toString());
    expect(manifest.version).toBe(V1);
    for (const file of manifest.files) {
      const bytes = readFileSync(join(good, V1, file.name));
      expect(bytes.length).toBe(file.size);
      expect(new Bun.CryptoHasher("sha256").update(bytes).digest("hex")).toBe(file.sha256);
    }
    expect(signedBy(manifestBytes, readFileSync(join(good, V1, "manifest.json.sig"), "utf8"), [key.publicKey])).toBe(true);
    expect(signedBy(manifestBytes, readFileSync(join(good, V1, "manifest.json.sig"), "utf8"), [throwawayKey().publicKey])).toBe(false);
    const pin = readPin(readFileSync(join(good, V1, "launcher.ts"), "utf8"));
    expect(pin).toMatchObject({ version: V1, url: server.url("good"), keys: [key.publicKey] });
    expect(readFileSync(join(good, V1, "batou.d.ts"), "utf8")).toContain('declare module "batou"');
  });

  test("refuses to overwrite a released version", async () => {
    const r = await release(good, V1, server.url("good"), key.secret);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("immutable");
  });
});

describe("bootstrap", () => {
  test("makes a working project in an empty git repository", async () => {
    const env = userEnv(home, mainCache);
    const r = await bootstrap(project, server.url("good"), env);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`fetching batou ${V1}`);
    for (const f of ["batou.ts", "components/hello/component.ts", "environments/dev.toml", ".gitignore", "tsconfig.json", ".batou/types/batou.d.ts"]) {
      expect(existsSync(join(project, f))).toBe(true);
    }
    expect(readPin(readFileSync(join(project, "batou.ts"), "utf8"))).toMatchObject({ version: V1, url: server.url("good") });
    expect(readFileSync(join(project, ".gitignore"), "utf8")).toContain("work/");
    expect(readFileSync(join(project, "tsconfig.json"), "utf8")).toContain(".batou/types/batou.d.ts");
    const staged = await run(["git", "diff", "--cached", "--name-only"], { cwd: project, env });
    expect(staged.stdout.split("\n")).toContain("batou.ts");
    expect(staged.stdout).not.toContain(".batou/");

    const deploy = await batou(["deploy", "dev"], project, env);
    expect(deploy.stderr).toBe("");
    expect(deploy.code).toBe(0);
    expect(readFileSync(join(project, "work", "hello", "hello.txt"), "utf8")).toBe("Hello, world from localhost\n");
    expect((await batou(["--version"], project, env)).stdout.trim()).toBe(`batou ${V1}`);
  });

  test.skipIf(!bed.ok)("deploys over SSH from the bootstrapped project: the release's own executable is the agent", async () => {
    const tb = await startTestbed(1);
    const env = userEnv(home, mainCache);
    const target = `t-bootstrapped-${process.pid}`;
    writeFileSync(join(project, "ssh_config"), readFileSync(tb.sshConfig, "utf8"));
    writeFileSync(join(project, "environments", "remote.toml"), `[environment]\nconnect_method = "ssh"\ntarget_directory = "${target}"\n\n[hosts.host1]\ncomponents = ["hello"]\n`);
    // more than the agent's channel carries (4 MiB): the project goes with rsync
    writeFileSync(join(project, "components", "hello", "big.bin"), Buffer.alloc(5 << 20, 1));
    try {
      const first = await batou(["deploy", "remote", "-d"], project, env);
      expect(first.code).toBe(0);
      const output = first.stdout + first.stderr; // --debug lines go to stderr
      expect(output).not.toContain("ERROR");
      // the release's executable (compiled from its verified batou.js) was streamed and runs as the agent;
      // rsync's bridge (for the project) is the cached batou.js run by bun
      expect(output).toContain(`executable batou-${V1}: release ${V1}`);
      expect(output).toContain(Bun.which("zstd") ? "B sent (streamed, zstd)" : "B sent (streamed)");
      expect(output).toMatch(/--rsh=\S*bun\S* \S*batou\.js __rsh-bridge/);
      expect(output).toMatch(new RegExp(`agent pid \\d+ as ${tb.user} on host1 in \\S+, batou ${V1.replace(/\./g, "\\.")}`));
      const remoteHome = join(tb.roots.host1!, "home", tb.user, target);
      expect(readFileSync(join(remoteHome, "work", "hello", "hello.txt"), "utf8")).toContain("Hello, world from host1");
      expect(existsSync(join(remoteHome, ".batou", `batou-${V1}`))).toBe(true);
      const again = await batou(["deploy", "remote"], project, env);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain("0 changed component(s)");
    } finally {
      remove(join(project, "ssh_config"));
      remove(join(project, "environments", "remote.toml"));
      remove(join(project, "components", "hello", "big.bin"));
    }
  }, 120_000);

  test("the editor types check the example component (tsc)", async () => {
    const tsc = join(REPO, "node_modules", ".bin", "tsc");
    if (!existsSync(tsc)) return;
    const env = userEnv(home, mainCache);
    expect((await run([tsc, "-p", "."], { cwd: project, env })).code).toBe(0);
    writeFileSync(join(project, "components", "hello", "wrong.ts"), 'import { File } from "batou";\nexport const f = new File(42);\n');
    const bad = await run([tsc, "-p", "."], { cwd: project, env });
    remove(join(project, "components", "hello", "wrong.ts"));
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toContain("not assignable to parameter of type 'string'");
  });

  test("a cached pin runs without network; batou init works offline", async () => {
    const env = userEnv(home, mainCache);
    const port = server.port;
    server.stop();
    try {
      const again = await batou(["deploy", "dev"], project, env);
      expect(again.code).toBe(0);
      expect(again.stderr).toBe("");

      const other = join(root, "offline-project");
      const init = await batou(["init", other], project, env);
      expect(init.code).toBe(0);
      expect(init.stdout).toContain("wrote batou.ts");
      expect(readPin(readFileSync(join(other, "batou.ts"), "utf8"))).toMatchObject({ version: V1, url: server.url("good"), keys: [key.publicKey] });
      const deploy = await batou(["deploy", "dev"], other, env);
      expect(deploy.code).toBe(0);
      expect(existsSync(join(other, "work", "hello", "hello.txt"))).toBe(true);
      expect(existsSync(join(other, ".batou", "types", "batou.d.ts"))).toBe(true);
    } finally {
      server.start(port);
    }
  });

  test("a cached run makes no requests", async () => {
    server.requests = [];
    expect((await batou(["--version"], project, userEnv(home, mainCache))).code).toBe(0);
    expect(server.requests).toEqual([]);
  });

  test.skipIf(!hasWget)("works with wget and a BATOU_RELEASE_URL override, which it pins", async () => {
    symlinkSync(good, join(served, "mirror"));
    server.roots.set("mirror", join(served, "mirror"));
    const dir = join(root, "wget-project");
    const env = userEnv(home, freshCache(), { BATOU_BOOTSTRAP_DOWNLOADER: "wget", BATOU_RELEASE_URL: server.url("mirror") });
    mkdirSync(dir);
    const script = await (await fetch(`${server.url("mirror")}/bootstrap`)).text();
    const r = await run(["sh"], { cwd: dir, env, stdin: script });
    expect(r.stderr).toContain("no git repository here: running git init");
    expect(r.code).toBe(0);
    expect(readPin(readFileSync(join(dir, "batou.ts"), "utf8")).url).toBe(server.url("mirror"));
    const { BATOU_RELEASE_URL: _, ...plain } = env;
    expect((await batou(["deploy", "dev"], dir, plain)).code).toBe(0);
  });

  test("downloads with bun when there is neither curl nor wget", async () => {
    const bin = join(root, "bin-without-curl");
    mkdirSync(bin);
    for (const tool of ["git", "bun", "sed", "cut", "mv", "rm", "chmod", "sha256sum"]) symlinkSync(Bun.which(tool)!, join(bin, tool));
    const dir = join(root, "bun-download-project");
    mkdirSync(dir);
    const script = readFileSync(join(good, "bootstrap"), "utf8");
    const env = userEnv(home, freshCache(), { PATH: bin });
    const r = await run(["/bin/sh"], { cwd: dir, env, stdin: script });
    expect(r.stderr).toContain("done: deploy the example");
    expect(r.code).toBe(0);
    expect((await run([join(bin, "bun"), "batou.ts", "deploy", "dev"], { cwd: dir, env })).code).toBe(0);
  });

  test("says which prerequisites are missing", async () => {
    const bin = join(root, "bin-without-bun");
    mkdirSync(bin);
    symlinkSync(Bun.which("git")!, join(bin, "git"));
    const dir = join(root, "no-bun");
    mkdirSync(dir);
    const script = readFileSync(join(good, "bootstrap"), "utf8");
    const r = await run(["/bin/sh"], { cwd: dir, env: { PATH: bin, HOME: home }, stdin: script });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("missing prerequisites");
    expect(r.stderr).toContain("bun: npm install -g bun");
    expect(r.stderr).not.toContain("git:");
    expect(existsSync(join(dir, "batou.ts"))).toBe(false);
  });

  test("refuses to run in an existing batou project", async () => {
    const script = readFileSync(join(good, "bootstrap"), "utf8");
    const r = await run(["sh"], { cwd: project, env: userEnv(home, mainCache), stdin: script });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("batou.ts exists already");
  });
});

describe("the launcher refuses what does not verify, and runs nothing", () => {
  const marker = join(root, "EXECUTED");
  const evil = new TextEncoder().encode(markerScript(marker));

  async function refused(name: string, expected: string[]) {
    server.roots.set(name, join(served, name));
    const cache = freshCache();
    const r = await batou(["--version"], project, userEnv(home, cache, { BATOU_RELEASE_URL: server.url(name) }));
    expect(r.code).toBe(1);
    for (const e of expected) expect(r.stderr).toContain(e);
    expect(r.stdout).not.toContain("EVIL RAN");
    expect(existsSync(marker)).toBe(false);
    // nothing half-downloaded is left behind
    expect(existsSync(join(cache, "batou")) ? readdirSync(join(cache, "batou")) : []).toEqual([]);
    return r;
  }

  test("a corrupted artifact (sha256 mismatch)", async () => {
    const dir = copyRelease(good, join(served, "corrupt"), V1);
    writeFileSync(join(dir, "batou.js"), evil);
    const r = await refused("corrupt", [`${server.url("corrupt")}/${V1}/batou.js: sha256 mismatch: expected `, ", got "]);
    expect(r.stderr).toContain(`cannot run batou ${V1}`);
  });

  test("a manifest changed to match the corrupted artifact (signature invalid)", async () => {
    const dir = copyRelease(good, join(served, "badsig"), V1);
    writeFileSync(join(dir, "batou.js"), evil);
    rewriteManifest(dir, "batou.js", evil);
    await refused("badsig", [`${server.url("badsig")}/${V1}/manifest.json: signature invalid`]);
  });

  test("a release signed by an untrusted key", async () => {
    const dir = copyRelease(good, join(served, "untrusted"), V1);
    writeFileSync(join(dir, "batou.js"), evil);
    rewriteManifest(dir, "batou.js", evil);
    resign(dir, throwawayKey().secret);
    await refused("untrusted", ["signature invalid"]);
  });

  test("a missing artifact (HTTP status)", async () => {
    const dir = copyRelease(good, join(served, "missing"), V1);
    remove(join(dir, "batou.js"));
    await refused("missing", [`GET ${server.url("missing")}/${V1}/batou.js: HTTP 404`]);
  });

  test("an unreachable server", async () => {
    const r = await batou(["--version"], project, userEnv(home, freshCache(), { BATOU_RELEASE_URL: "http://127.0.0.1:9/nowhere" }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`GET http://127.0.0.1:9/nowhere/${V1}/manifest.json:`);
  });

  test("a tampered cache is fetched again, not run", async () => {
    const cache = freshCache();
    const env = userEnv(home, cache);
    expect((await batou(["--version"], project, env)).code).toBe(0);
    writeFileSync(join(cache, "batou", V1, "batou.js"), evil);
    const r = await batou(["--version"], project, env);
    expect(r.stderr).toContain("the cached release does not verify");
    expect(r.stderr).toContain("batou.js: sha256 mismatch");
    expect(r.stdout.trim()).toBe(`batou ${V1}`);
    expect(existsSync(marker)).toBe(false);
  });
});

describe("batou update", () => {
  /** The `latest` and `latest.sig` that pointed to V1: an old, validly signed pointer a server could replay. */
  const oldLatest = { latest: "", sig: "" };

  test("moves the pin to the latest release; the next run uses it", async () => {
    oldLatest.latest = readFileSync(join(good, "latest"), "utf8");
    oldLatest.sig = readFileSync(join(good, "latest.sig"), "utf8");
    const r = await release(good, V2, server.url("good"), key.secret);
    expect(r.code).toBe(0);
    expect(readFileSync(join(good, "latest"), "utf8")).toBe(`${V2}\n`);
    expect(existsSync(join(good, V1, "batou.js"))).toBe(true);

    const env = userEnv(home, mainCache);
    const update = await batou(["update"], project, env);
    expect(update.code).toBe(0);
    expect(update.stdout).toContain(`now pins batou ${V2} (was ${V1})`);
    expect(readPin(readFileSync(join(project, "batou.ts"), "utf8")).version).toBe(V2);
    server.requests = [];
    expect((await batou(["--version"], project, env)).stdout.trim()).toBe(`batou ${V2}`);
    expect(server.requests).toEqual([]);
    expect((await batou(["deploy", "dev"], project, env)).code).toBe(0);
  });

  test("a release that cannot be fetched leaves the pin and the current version working", async () => {
    const env = userEnv(home, mainCache);
    const r = await batou(["update", "9.9.9"], project, env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`GET ${server.url("good")}/9.9.9/manifest.json: HTTP 404`);
    expect(r.stderr).toContain("the pin is unchanged");
    expect(readPin(readFileSync(join(project, "batou.ts"), "utf8")).version).toBe(V2);
    expect((await batou(["--version"], project, env)).stdout.trim()).toBe(`batou ${V2}`);
  });

  test("latest must be signed: unsigned or changed, it is refused and the pin stays", async () => {
    const dir = join(served, "badlatest");
    copyRelease(good, dir, V1);
    server.roots.set("badlatest", dir);
    const env = userEnv(home, mainCache, { BATOU_RELEASE_URL: server.url("badlatest") });
    // copyRelease copies latest (V2) but not latest.sig
    let r = await batou(["update"], project, env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`GET ${server.url("badlatest")}/latest.sig: HTTP 404`);
    writeFileSync(join(dir, "latest"), `${V1}\n`);
    writeFileSync(join(dir, "latest.sig"), readFileSync(join(good, "latest.sig"))); // V2's signature
    r = await batou(["update"], project, env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${server.url("badlatest")}/latest: signature invalid`);
    expect(r.stderr).toContain("the pin is unchanged");
    expect(readPin(readFileSync(join(project, "batou.ts"), "utf8")).version).toBe(V2);
  });

  test("an old, validly signed latest (replayed by the server) does not move the pin backwards", async () => {
    const dir = join(served, "replay");
    copyRelease(good, dir, V1);
    copyRelease(good, dir, V2);
    writeFileSync(join(dir, "latest"), oldLatest.latest);
    writeFileSync(join(dir, "latest.sig"), oldLatest.sig);
    server.roots.set("replay", dir);
    const env = userEnv(home, mainCache, { BATOU_RELEASE_URL: server.url("replay") });
    const r = await batou(["update"], project, env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${server.url("replay")}/latest names batou ${V1}, older than the pinned ${V2}: the pin does not move backwards unless you name the version (batou update ${V1})`,
    );
    expect(readPin(readFileSync(join(project, "batou.ts"), "utf8")).version).toBe(V2);
  });

  test("an explicit version moves the pin back", async () => {
    const env = userEnv(home, mainCache);
    const r = await batou(["update", V1], project, env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`now pins batou ${V1} (was ${V2}, a downgrade you named)`);
    expect((await batou(["--version"], project, env)).stdout.trim()).toBe(`batou ${V1}`);
  });

  test("a release with a newer launcher rewrites batou.ts, keeping the project's URL", async () => {
    copyRelease(good, join(served, "newlauncher"), V1); // what the project pins now
    const dir = copyRelease(good, join(served, "newlauncher"), V2);
    const launcher = readFileSync(join(dir, "launcher.ts"), "utf8")
      .replace(/^export const LAUNCHER_REVISION = \d+;$/m, "export const LAUNCHER_REVISION = 99;")
      .replace("#!/usr/bin/env bun\n", "#!/usr/bin/env bun\n// launcher revision 99\n");
    writeFileSync(join(dir, "launcher.ts"), launcher);
    rewriteManifest(dir, "launcher.ts", new TextEncoder().encode(launcher));
    resign(dir, key.secret);
    server.roots.set("newlauncher", join(served, "newlauncher"));

    const env = userEnv(home, freshCache(), { BATOU_RELEASE_URL: server.url("newlauncher") });
    const r = await batou(["update", V2], project, env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("launcher rewritten (revision 1 → 99)");
    const text = readFileSync(join(project, "batou.ts"), "utf8");
    expect(text).toContain("// launcher revision 99");
    expect(readPin(text)).toMatchObject({ version: V2, url: server.url("good"), revision: 99 });
    const { BATOU_RELEASE_URL: _, ...plain } = env;
    expect((await batou(["--version"], project, plain)).stdout.trim()).toBe(`batou ${V2}`);
  });
});
