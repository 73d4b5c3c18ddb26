/** The bootstrap's small parts: pins, version order, signing keys, the launcher's checks. */
import { describe, expect, test } from "bun:test";
import { ReleaseError, signedBy, verifyFile, verifyManifest } from "../../lib/bootstrap/launcher.ts";
import { manifestBytes } from "../../lib/bootstrap/manifest.ts";
import { isLauncher, readPin, writePin } from "../../lib/bootstrap/pin.ts";
import { launcherTemplate, renderLauncher } from "../../lib/bootstrap/new-project.ts";
import { compareVersions } from "../../lib/bootstrap/versions.ts";
import { latestSignedData, updateTarget } from "../../lib/bootstrap/latest.ts";
import { generateSigningKey, loadSigningKey, parseSigningKey, sign } from "../../lib/bootstrap/sign.ts";

describe("pin", () => {
  test("the template is a launcher with an empty pin; rendering sets it", () => {
    const template = launcherTemplate();
    expect(isLauncher(template)).toBe(true);
    expect(readPin(template)).toEqual({ version: "", url: "", keys: [], revision: expect.any(Number) });
    const text = renderLauncher({ version: "1.2.3", url: 'https://x.test/a"b', keys: ["k1", "k2"] }, template);
    expect(readPin(text)).toEqual({ version: "1.2.3", url: 'https://x.test/a"b', keys: ["k1", "k2"], revision: readPin(template).revision });
    expect(readPin(writePin(text, { version: "2.0.0" })).version).toBe("2.0.0");
    expect(text.split("\n").length).toBe(template.split("\n").length);
  });

  test("other files are not launchers", () => {
    expect(isLauncher('import "./lib/plugin.ts";\n')).toBe(false);
    expect(() => readPin("const x = 1;")).toThrow("not a batou launcher");
  });
});

test("version order", () => {
  expect(compareVersions("1.2.10", "1.2.9")).toBe(1);
  expect(compareVersions("1.0.0", "1.0.0-rc1")).toBe(1);
  expect(compareVersions("1.0.0-rc2", "1.0.0-rc10")).toBe(-1);
  expect(compareVersions("0.91.0", "0.91.0")).toBe(0);
});

describe("batou update's target", () => {
  test("latest moves the pin forward only; a named version may go back", () => {
    expect(updateTarget("1.2.0", undefined, "1.3.0")).toBe("1.3.0");
    expect(updateTarget("1.2.0", undefined, "1.2.0")).toBe("1.2.0");
    expect(() => updateTarget("1.2.0", undefined, "1.1.9", "https://r.test/latest")).toThrow(
      "https://r.test/latest names batou 1.1.9, older than the pinned 1.2.0: the pin does not move backwards unless you name the version (batou update 1.1.9)",
    );
    expect(() => updateTarget("1.0.0", undefined, "1.0.0-rc1")).toThrow(ReleaseError);
    expect(updateTarget("1.2.0", "1.1.9", undefined)).toBe("1.1.9");
  });

  test("latest.sig signs latest with a domain prefix: a manifest signature does not pass for it", () => {
    const { secret, publicKey } = generateSigningKey();
    const key = parseSigningKey(secret);
    const latest = new TextEncoder().encode("1.2.3\n");
    expect(signedBy(latestSignedData(latest), sign(latestSignedData(latest), key), [publicKey])).toBe(true);
    expect(signedBy(latestSignedData(latest), sign(latest, key), [publicKey])).toBe(false);
  });
});

describe("signing", () => {
  test("tweetnacl signatures verify with node:crypto (the launcher's way)", () => {
    const { secret, publicKey } = generateSigningKey();
    const key = parseSigningKey(secret);
    expect(key.publicKey).toBe(publicKey);
    const seedKey = parseSigningKey(Buffer.from(Buffer.from(secret, "base64").subarray(0, 32)).toString("base64"));
    expect(seedKey.publicKey).toBe(publicKey);
    const data = new TextEncoder().encode("manifest");
    const signature = sign(data, key);
    expect(signedBy(data, signature, [generateSigningKey().publicKey, publicKey])).toBe(true);
    expect(signedBy(new TextEncoder().encode("manifesT"), signature, [publicKey])).toBe(false);
    expect(signedBy(data, "garbage", [publicKey])).toBe(false);
  });

  test("the key comes from the environment only", () => {
    expect(() => loadSigningKey({})).toThrow("BATOU_RELEASE_KEY");
    expect(() => parseSigningKey("c2hvcnQ=")).toThrow("64 (secret key) or 32 (seed) bytes");
  });

  test("manifests are checked for signature, version and file names", () => {
    const { secret, publicKey } = generateSigningKey();
    const key = parseSigningKey(secret);
    const bytes = manifestBytes("1.0.0", [{ name: "batou.js", bytes: new TextEncoder().encode("x"), role: "tool" }]);
    const manifest = verifyManifest(bytes, sign(bytes, key), [publicKey], "1.0.0", "m");
    expect(manifest.files[0]).toMatchObject({ name: "batou.js", size: 1 });
    expect(() => verifyManifest(bytes, sign(bytes, key), [publicKey], "1.0.1", "m")).toThrow("manifest is for version 1.0.0, expected 1.0.1");
    expect(() => verifyManifest(bytes, sign(bytes, key), [], "1.0.0", "m")).toThrow("no trusted release keys");
    const evil = manifestBytes("1.0.0", [{ name: "../x", bytes: new Uint8Array(), role: "tool" }]);
    expect(() => verifyManifest(evil, sign(evil, key), [publicKey], "1.0.0", "m")).toThrow(ReleaseError);
    expect(() => verifyFile(manifest.files[0]!, new TextEncoder().encode("y"), "f")).toThrow("f: sha256 mismatch: expected ");
  });
});

describe("release executables", () => {
  test("are compiled from the verified batou.js when the release ships none", async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const { releaseExecutable } = await import("../../lib/bootstrap/release-executable.ts");
    const root = mkdtempSync(join(tmpdir(), "batou-exe-test-"));
    try {
      const dir = join(root, "1.0.0");
      mkdirSync(dir);
      const tool = new TextEncoder().encode('console.log("compiled " + process.argv.slice(2).join(" "));\n');
      writeFileSync(join(dir, "batou.js"), tool);
      const { secret, publicKey } = generateSigningKey();
      const bytes = manifestBytes("1.0.0", [{ name: "batou.js", bytes: tool, role: "tool" }]);
      writeFileSync(join(dir, "manifest.json"), bytes);
      writeFileSync(join(dir, "manifest.json.sig"), sign(bytes, parseSigningKey(secret)));
      const arch = process.arch === "arm64" ? "arm64" : "x64";
      const exe = await releaseExecutable({ dir, version: "1.0.0", url: "http://127.0.0.1:9", keys: [publicKey] }, arch);
      const out = Bun.spawnSync([exe, "a", "b"]).stdout.toString();
      expect(out).toBe("compiled a b\n");
      // a release that does not verify yields nothing
      writeFileSync(join(dir, "batou.js"), "tampered");
      await expect(releaseExecutable({ dir, version: "1.0.0", url: "http://127.0.0.1:9", keys: [publicKey] }, arch)).rejects.toThrow("sha256 mismatch");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
