/** Shipping a project change in the agent's channel: the plan (pure), and applying it as rsync would, never through a symlink. */
import { afterEach, expect, test } from "bun:test";
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ManifestEntry, manifestEntries, projectManifest } from "./project-manifest.ts";
import { applySync, planBytes, planSync, syncParams } from "./project-sync.ts";

const EXCLUDES = ["/work", "*.nacl"];
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const temp = () => {
  const dir = mkdtempSync(join(tmpdir(), "batou-sync-"));
  dirs.push(dir);
  return dir;
};
const write = (root: string, path: string, text: string) => {
  mkdirSync(join(root, path, ".."), { recursive: true });
  writeFileSync(join(root, path), text);
};

test("the plan: what the host lacks or has otherwise is sent, what it has beyond ours goes (children first), other kinds are replaced", () => {
  const f = (path: string, mtimeMs = 1, size = 1, mode = 0o644): ManifestEntry => ({ kind: "f", path, mode, size, mtimeMs });
  const d = (path: string, mode = 0o755): ManifestEntry => ({ kind: "d", path, mode });
  const ours = [d("a"), f("a/same"), f("a/newer", 2), d("b", 0o700), f("c"), { kind: "l", path: "link", target: "c" } as ManifestEntry, f("x")];
  const theirs = [d("a"), f("a/same"), f("a/newer", 1), d("b"), d("c"), f("c/inside"), d("old"), f("old/file"), f("x")];
  const plan = planSync(ours, theirs);
  expect(plan.remove).toEqual(["old/file", "old", "c/inside", "c"]);
  expect(plan.dirs).toEqual([{ path: "b", mode: 0o700 }]);
  expect(plan.files.map((file) => file.path)).toEqual(["a/newer", "c"]);
  expect(plan.links).toEqual([{ path: "link", target: "c" }]);
  expect(planBytes(plan)).toBe(2);
  expect(planSync(ours, ours)).toEqual({ remove: [], dirs: [], files: [], links: [] });
});

test("applied, the host's tree has our fingerprint: modes, millisecond mtimes, links, removals; excluded paths stay", () => {
  const ours = temp();
  write(ours, "components/app/component.ts", "export class App {}\n");
  write(ours, "components/app/run.sh", "#!/bin/sh\n");
  chmodSync(join(ours, "components/app/run.sh"), 0o750);
  symlinkSync("component.ts", join(ours, "components/app/alias.ts"));
  mkdirSync(join(ours, "private"), { mode: 0o700 });
  chmodSync(join(ours, "private"), 0o700);
  utimesSync(join(ours, "components/app/component.ts"), 1700000000.123456, 1700000000.123456);
  const host = temp();
  write(host, "components/app/component.ts", "old\n");
  write(host, "gone/deep/file.txt", "not in the project any more\n");
  write(host, "work/app/state", "the host's own\n");
  write(host, "secrets.nacl", "excluded\n");
  const plan = planSync(manifestEntries(ours, EXCLUDES), manifestEntries(host, EXCLUDES));
  expect(applySync(host, syncParams(ours, plan))).toEqual({ written: 4, removed: 3 });
  expect(projectManifest(host, EXCLUDES)).toEqual(projectManifest(ours, EXCLUDES));
  expect(readFileSync(join(host, "components/app/component.ts"), "utf8")).toBe("export class App {}\n");
  expect(statSync(join(host, "components/app/run.sh")).mode & 0o777).toBe(0o750);
  expect(statSync(join(host, "private")).mode & 0o777).toBe(0o700);
  expect(readlinkSync(join(host, "components/app/alias.ts"))).toBe("component.ts");
  expect(existsSync(join(host, "gone"))).toBe(false);
  expect(readFileSync(join(host, "work/app/state"), "utf8")).toBe("the host's own\n");
  expect(existsSync(join(host, "secrets.nacl"))).toBe(true);
  // nothing left behind under a temporary name
  expect(manifestEntries(host, EXCLUDES).filter((e) => e.path.includes(".batou-"))).toEqual([]);
});

test("a folder that still holds excluded files is kept, as rsync --delete keeps it", () => {
  const ours = temp();
  write(ours, "a.txt", "a\n");
  const host = temp();
  write(host, "old/keep.nacl", "excluded\n");
  const plan = planSync(manifestEntries(ours, EXCLUDES), manifestEntries(host, EXCLUDES));
  expect(plan.remove).toEqual(["old"]);
  expect(applySync(host, syncParams(ours, plan)).removed).toBe(0);
  expect(existsSync(join(host, "old/keep.nacl"))).toBe(true);
});

test("never through a symlink on the host, never outside the project", () => {
  const host = temp();
  const outside = temp();
  symlinkSync(outside, join(host, "components"));
  const file = { path: "components/x.ts", mode: 0o644, mtimeMs: 1, content: Buffer.from("pwned").toString("base64") };
  expect(() => applySync(host, { remove: [], dirs: [], links: [], files: [file] })).toThrow("refusing to ship components/x.ts through components: not a directory (a symlink is never followed)");
  expect(() => applySync(host, { remove: ["components/y"], dirs: [], links: [], files: [] })).toThrow("through components");
  for (const path of ["../x", "a/../../x", "/etc/x", "a//b", "./a", ""]) {
    expect(() => applySync(host, { remove: [], dirs: [], links: [], files: [{ ...file, path }] })).toThrow(`refusing to write "${path}": not a plain relative path in the project`);
  }
  expect(existsSync(join(outside, "x.ts"))).toBe(false);
  expect(lstatSync(join(host, "components")).isSymbolicLink()).toBe(true);
});

test("a file that changed since the plan goes as it is now; one that is gone is left out", () => {
  const ours = temp();
  write(ours, "a.txt", "a\n");
  write(ours, "b.txt", "b\n");
  const plan = planSync(manifestEntries(ours, EXCLUDES), []);
  writeFileSync(join(ours, "a.txt"), "longer now\n");
  rmSync(join(ours, "b.txt"));
  const params = syncParams(ours, plan);
  expect(params.files.map((f) => [f.path, Buffer.from(f.content, "base64").toString()])).toEqual([["a.txt", "longer now\n"]]);
  const host = temp();
  applySync(host, params);
  expect(projectManifest(host, EXCLUDES)).toEqual(projectManifest(ours, EXCLUDES));
});
