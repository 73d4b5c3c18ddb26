/** Small pieces of the file family: atomic writes and mode parsing. */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Mode } from "../../lib/library/attributes.ts";
import { writeFileAtomic } from "../../lib/library/atomic.ts";

let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const fresh = () => (dir = mkdtempSync(join(tmpdir(), "batou-atomic-")));

describe("writeFileAtomic", () => {
  test("replaces content and sets exactly the mode, leaving no temp file", () => {
    fresh();
    const path = join(dir, "f");
    writeFileSync(path, "old");
    writeFileAtomic(path, "new content", 0o640);
    expect(readFileSync(path, "utf8")).toBe("new content");
    expect(statSync(path).mode & 0o777).toBe(0o640);
    writeFileAtomic(path, new Uint8Array([0, 1, 2]));
    expect([...readFileSync(path)]).toEqual([0, 1, 2]);
    expect(statSync(path).mode & 0o777).toBe(0o644);
    expect(readdirSync(dir)).toEqual(["f"]);
  });

  test("a failed replacement leaves the target alone and no temp file behind", () => {
    fresh();
    const target = join(dir, "taken");
    mkdirSync(join(target, "inside"), { recursive: true });
    expect(() => writeFileAtomic(target, "data")).toThrow();
    expect(statSync(target).isDirectory()).toBe(true);
    expect(readdirSync(dir)).toEqual(["taken"]);
    expect(() => writeFileAtomic(join(dir, "missing", "f"), "data")).toThrow();
    expect(readdirSync(dir)).toEqual(["taken"]);
  });
});

describe("Mode.parse", () => {
  test.each([
    [0o755, 0o755],
    ["755", 0o755],
    ["0640", 0o640],
    ["rwxr-xr-x", 0o755],
    ["rw-------", 0o600],
    ["rwxrwxrwx", 0o777],
    ["---------", 0],
  ])("%p → %o", (input, bits) => {
    expect(Mode.parse(input)).toBe(bits);
  });

  test.each([["999"], ["rwxrwxrwz"], ["u+x"], [-1], [0o10000]])("%p is an error", (input) => {
    expect(() => Mode.parse(input)).toThrow(/invalid mode/);
  });
});
