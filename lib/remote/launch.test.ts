/** The launch script, run by a real `sh` in a temporary $HOME: agent when the executable is the expected one, else a probe. */
import { afterEach, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { agentCommand, launchScript, PROBE_MARKER, parseProbe } from "./launch.ts";

const homes: string[] = [];
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

function sh(script: string, home: string): { stdout: string; status: number | null } {
  const result = spawnSync("sh", ["-c", script], { env: { PATH: process.env.PATH, HOME: home }, encoding: "utf8" });
  return { stdout: result.stdout, status: result.status };
}

/** A stand-in executable that says hello when run as `agent`, with its sidecar. */
function fakeExecutable(home: string, target: string, name: string): { sha256: string; size: number } {
  const dir = join(home, target, ".batou");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n[ "$1" = agent ] && echo '{"type":"hello","cwd":"'"$(pwd -P)"'"}'\n`);
  chmodSync(file, 0o755);
  const st = statSync(file);
  const sha256 = "ab".repeat(32);
  writeFileSync(`${file}.sha256`, `${sha256} ${st.size} ${Math.floor(st.mtimeMs / 1000)}\n`);
  return { sha256, size: st.size };
}

test("an empty host answers with a probe: machine, physical target, nothing shipped, .batou empty", () => {
  const home = mkdtempSync(join(tmpdir(), "batou-launch-"));
  homes.push(home);
  const result = sh(launchScript("deploy ment", "batou-1.0.0", { sha256: "00".repeat(32), size: 10 }), home);
  expect(result.status).toBe(0);
  const probe = parseProbe(result.stdout)!;
  expect(probe.machine).toBe(spawnSync("uname", ["-m"], { encoding: "utf8" }).stdout.trim());
  expect(probe.target).toBe(join(home, "deploy ment"));
  expect(probe).toMatchObject({ sidecar: "", stat: "", empty: true, zstd: Bun.which("zstd", { PATH: process.env.PATH }) !== null });
});

test("the expected executable is exec'd as the agent in the target directory", () => {
  const home = mkdtempSync(join(tmpdir(), "batou-launch-"));
  homes.push(home);
  const expected = fakeExecutable(home, "app", "batou-1.0.0");
  const result = sh(launchScript("~/app", "batou-1.0.0", expected), home);
  expect(result.status).toBe(0);
  expect(JSON.parse(result.stdout)).toEqual({ type: "hello", cwd: join(home, "app") });
  // the same script started the agent by path too
  expect(JSON.parse(sh(agentCommand(join(home, "app"), "batou-1.0.0"), home).stdout).cwd).toBe(join(home, "app"));
});

test("another executable (other sha256, or modified after its sidecar) gets a probe, not an agent", () => {
  const home = mkdtempSync(join(tmpdir(), "batou-launch-"));
  homes.push(home);
  const expected = fakeExecutable(home, "app", "batou-1.0.0");
  const other = parseProbe(sh(launchScript("app", "batou-1.0.0", { ...expected, sha256: "cd".repeat(32) }), home).stdout)!;
  expect(other.sidecar.split(" ")[0]).toBe(expected.sha256);
  expect(other.empty).toBe(false);
  writeFileSync(join(home, "app/.batou/batou-1.0.0"), "changed", { flag: "a" });
  expect(sh(launchScript("app", "batou-1.0.0", expected), home).stdout).toStartWith(`${PROBE_MARKER}\n`);
});

test("a target directory that cannot be created exits 97; a non-probe answer is not parsed as one", () => {
  const home = mkdtempSync(join(tmpdir(), "batou-launch-"));
  homes.push(home);
  writeFileSync(join(home, "file"), "");
  expect(sh(launchScript("file/sub", "batou-1.0.0"), home).status).toBe(97);
  expect(parseProbe('{"type":"hello"}\n')).toBeUndefined();
});
