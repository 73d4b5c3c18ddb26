/** The build cache stays bounded: old builds go with their compressed copies, builds in use stay. */
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pruneBuilds } from "./host-executable.ts";

const base = mkdtempSync(join(tmpdir(), "batou-builds-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

test("pruning keeps the newest builds and those used within the hour, with their .zst; older builds, their .zst and orphaned .zst files go", () => {
  const now = Date.now();
  const minutesAgo: Record<string, number> = { b1: 120, b2: 10, b3: 2, b4: 1, b5: 90 };
  for (const [name, minutes] of Object.entries(minutesAgo)) {
    mkdirSync(join(base, name));
    writeFileSync(join(base, name, "batou-0.1.0"), "x");
    writeFileSync(join(base, `${name}.zst`), "z");
    const time = (now - minutes * 60_000) / 1000;
    utimesSync(join(base, name), time, time);
  }
  writeFileSync(join(base, "gone.zst"), "z");
  pruneBuilds(base, 2, now);
  // b3, b4: the newest two; b2: used 10 minutes ago (another checkout may be shipping it)
  expect(readdirSync(base).sort()).toEqual(["b2", "b2.zst", "b3", "b3.zst", "b4", "b4.zst"]);
});

test("a build folder left by a killed build (.tmp-PID of a process that is gone) goes; one still being built stays", () => {
  const dir = mkdtempSync(join(tmpdir(), "batou-builds-tmp-"));
  try {
    const dead = Bun.spawnSync(["true"]).pid; // exited: its pid names no process now
    mkdirSync(join(dir, `b1.tmp-${dead}`));
    mkdirSync(join(dir, `b2.tmp-${process.pid}`));
    pruneBuilds(dir, 2);
    expect(readdirSync(dir)).toEqual([`b2.tmp-${process.pid}`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
