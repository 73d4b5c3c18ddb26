/** The one atomic write-then-rename of batou (lib/engine/atomic-file.ts). */
import { afterEach, describe, expect, test } from "bun:test";
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AtomicFile, removeStaleTemporaries, replaceAtomic, temporaryPath, writeFileAtomic } from "../../lib/engine/atomic-file.ts";

let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const fresh = () => (dir = mkdtempSync(join(tmpdir(), "batou-atomic-")));

/** A pid that no process has now (spawned and waited for). */
function deadPid(): number {
  const proc = Bun.spawnSync(["sh", "-c", "echo $$"]);
  return Number(proc.stdout.toString().trim());
}

describe("writeFileAtomic", () => {
  test("replaces content and sets exactly the mode, leaving no temp file", () => {
    fresh();
    const path = join(dir, "f");
    writeFileSync(path, "old");
    writeFileAtomic(path, "new content", { mode: 0o640 });
    expect(readFileSync(path, "utf8")).toBe("new content");
    expect(statSync(path).mode & 0o777).toBe(0o640);
    writeFileAtomic(path, new Uint8Array([0, 1, 2, 0xff]));
    expect([...readFileSync(path)]).toEqual([0, 1, 2, 0xff]);
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

  test("a symlink at the target is replaced, its target untouched", () => {
    fresh();
    writeFileSync(join(dir, "elsewhere"), "precious");
    symlinkSync(join(dir, "elsewhere"), join(dir, "link"));
    writeFileAtomic(join(dir, "link"), "mine");
    expect(lstatSync(join(dir, "link")).isSymbolicLink()).toBe(false);
    expect(readFileSync(join(dir, "link"), "utf8")).toBe("mine");
    expect(readFileSync(join(dir, "elsewhere"), "utf8")).toBe("precious");
  });
});

describe("AtomicFile", () => {
  test("parts are invisible until commit; abort leaves the target as it was", () => {
    fresh();
    const path = join(dir, "download");
    writeFileSync(path, "old");
    const file = new AtomicFile(path, { fsync: true, mode: 0o600 });
    file.write("part 1, ");
    file.write(new TextEncoder().encode("part 2"));
    expect(readFileSync(path, "utf8")).toBe("old");
    file.commit();
    expect(readFileSync(path, "utf8")).toBe("part 1, part 2");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const aborted = new AtomicFile(path);
    aborted.write("never");
    aborted.abort();
    aborted.abort();
    expect(readFileSync(path, "utf8")).toBe("part 1, part 2");
    expect(readdirSync(dir)).toEqual(["download"]);
  });
});

describe("replaceAtomic", () => {
  test("a symlink made at the temporary name replaces the target", () => {
    fresh();
    writeFileSync(join(dir, "current"), "a file");
    replaceAtomic(join(dir, "current"), (temporary) => symlinkSync("releases/2", temporary));
    expect(readlinkSync(join(dir, "current"))).toBe("releases/2");
    expect(readdirSync(dir)).toEqual(["current"]);
  });

  test("async: the result is returned after the rename; a rejection leaves nothing", async () => {
    fresh();
    const path = join(dir, "exe");
    expect(await replaceAtomic(path, async (temporary) => (writeFileSync(temporary, "x"), "done"))).toBe("done");
    expect(readFileSync(path, "utf8")).toBe("x");
    const failing = replaceAtomic(path, async (temporary) => {
      writeFileSync(temporary, "half");
      throw new Error("compiler failed");
    });
    await expect(failing).rejects.toThrow("compiler failed");
    expect(readFileSync(path, "utf8")).toBe("x");
    expect(readdirSync(dir)).toEqual(["exe"]);
  });
});

describe("leftovers of a killed process", () => {
  test("temporaries of processes that are gone are removed by the next write into the folder; live ones are kept", () => {
    fresh();
    const dead = deadPid();
    const stale = `.app.conf.batou-${dead}-abc123`;
    const live = `.other.conf.batou-${process.ppid}-def456`;
    writeFileSync(join(dir, stale), "half");
    writeFileSync(join(dir, live), "being written");
    writeFileSync(join(dir, ".notours.batou-1-x"), "keep");
    writeFileAtomic(join(dir, "unrelated.txt"), "new");
    expect(readdirSync(dir).sort()).toEqual([".notours.batou-1-x", live, "unrelated.txt"].sort());
  });

  test("the temporary names match what is cleaned up", () => {
    fresh();
    const name = temporaryPath(join(dir, "x.conf")).slice(dir.length + 1);
    expect(name).toMatch(new RegExp(`^\\.x\\.conf\\.batou-${process.pid}-[a-z0-9]{6}$`));
    writeFileSync(join(dir, name.replace(String(process.pid), String(deadPid()))), "");
    removeStaleTemporaries(dir);
    expect(readdirSync(dir)).toEqual([]);
  });
});
