import { expect, test } from "bun:test";
import { descendants } from "./process.ts";

test("descendants: every process below this one, grandchildren too, and nothing once they ended", async () => {
  // sh starts two sleeps and waits: its children are grandchildren of this test process
  const tree = Bun.spawn(["sh", "-c", "sleep 30 & sleep 30 & wait"], { stdout: "ignore" });
  let below: number[] = [];
  for (let i = 0; i < 100 && below.length < 3; i++) {
    await Bun.sleep(20);
    below = descendants(process.pid);
  }
  expect(below).toContain(tree.pid);
  expect(below.length).toBeGreaterThanOrEqual(3);
  for (const pid of below.filter((pid) => pid !== tree.pid)) process.kill(pid, "SIGTERM");
  await tree.exited;
  expect(descendants(process.pid)).not.toContain(tree.pid);
});
