/** The project fingerprint: what rsync would compare, with the project excludes. */
import { afterEach, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectManifest } from "./project-manifest.ts";

const EXCLUDES = ["/work", "/.git", "*.nacl"];
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tree(): string {
  const root = mkdtempSync(join(tmpdir(), "batou-manifest-"));
  dirs.push(root);
  mkdirSync(join(root, "components/app"), { recursive: true });
  writeFileSync(join(root, "components/app/component.ts"), "export class App {}\n");
  writeFileSync(join(root, "components/app/app.conf"), "port = 80\n");
  symlinkSync("app.conf", join(root, "components/app/link.conf"));
  return root;
}

const hash = (root: string) => projectManifest(root, EXCLUDES).hash;

test("a copy that keeps times and modes has the same fingerprint; counts dirs, files and links", () => {
  const a = tree();
  const b = mkdtempSync(join(tmpdir(), "batou-manifest-"));
  dirs.push(b);
  // cp -a keeps nanosecond mtimes, as rsync --times does (node's cpSync rounds them)
  expect(spawnSync("cp", ["-a", `${a}/.`, b]).status).toBe(0);
  expect(hash(b)).toBe(hash(a));
  expect(projectManifest(a, EXCLUDES).entries).toBe(5);
});

test("excluded paths do not count: anchored names at the top only, globs anywhere", () => {
  const root = tree();
  const before = hash(root);
  mkdirSync(join(root, "work/app"), { recursive: true });
  writeFileSync(join(root, "work/app/state"), "x");
  writeFileSync(join(root, "components/app/secrets.nacl"), "x");
  expect(hash(root)).toBe(before);
  mkdirSync(join(root, "components/work"));
  expect(hash(root)).not.toBe(before);
});

test("content size, mtime, mode, a link target, a new or removed file all change it", () => {
  const root = tree();
  const file = join(root, "components/app/app.conf");
  const seen = new Set([hash(root)]);
  const changed = () => {
    const h = hash(root);
    expect(seen.has(h)).toBe(false);
    seen.add(h);
  };
  utimesSync(file, new Date(2020, 1, 1), new Date(2020, 1, 1));
  changed();
  writeFileSync(file, "port = 8080\n");
  changed();
  chmodSync(file, 0o600);
  changed();
  rmSync(join(root, "components/app/link.conf"));
  symlinkSync("component.ts", join(root, "components/app/link.conf"));
  changed();
  writeFileSync(join(root, "new.txt"), "");
  changed();
  rmSync(join(root, "new.txt"));
  rmSync(file);
  changed();
});

test("an exclude pattern rsync would read differently is refused, not guessed", () => {
  expect(() => projectManifest(tree(), ["lib/*.js"])).toThrow('unsupported exclude pattern "lib/*.js"');
});
