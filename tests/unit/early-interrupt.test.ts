/** Ctrl-C before a command has its own handler: a message and exit 130 (143 for SIGTERM); afterwards the command's handler decides. */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "batou-early-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MODULE = join(import.meta.dir, "../../lib/early-interrupt.ts");

/** Whether `pid` catches `signal` (Linux: the SigCgt mask in /proc). */
function catches(pid: number, signal: number): boolean {
  try {
    const mask = /^SigCgt:\s+([0-9a-f]+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return mask !== undefined && (BigInt(`0x${mask}`) & (1n << BigInt(signal - 1))) !== 0n;
  } catch {
    return false;
  }
}

/** Runs a script that installs the handler, then (optionally) a command's own, then waits; signals it once it catches the signal. */
async function interrupted(signal: "SIGINT" | "SIGTERM", own: boolean, json = false, ownRemoved = false) {
  const script = join(dir, `s-${signal}-${own}.ts`);
  writeFileSync(
    script,
    `import { installEarlyInterrupt } from ${JSON.stringify(MODULE)};
installEarlyInterrupt(${json});
${own ? `process.on(${JSON.stringify(signal)}, () => { console.log("the command's own handler"); process.exit(7); });` : ""}
${ownRemoved ? `const own = () => {}; process.on(${JSON.stringify(signal)}, own); process.off(${JSON.stringify(signal)}, own);` : ""}
setTimeout(() => {}, 20_000); // still loading, as far as anyone knows
`,
  );
  const proc = Bun.spawn([process.execPath, script], { stdout: "pipe", stderr: "pipe" });
  const number = signal === "SIGINT" ? 2 : 15;
  for (let i = 0; i < 500 && !catches(proc.pid, number); i++) await Bun.sleep(10);
  proc.kill(signal);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { stdout, stderr, code };
}

test.each([["SIGINT", 130], ["SIGTERM", 143]] as const)("%s while loading: a message and exit %d", async (signal, status) => {
  const message = `interrupted (${signal}) while batou was starting: nothing was started`;
  expect(await interrupted(signal, false)).toEqual({ stdout: "", stderr: `batou: ${message}\n`, code: status });
});

test("with --json the reader of stdout gets an error event too", async () => {
  const { stdout, code } = await interrupted("SIGINT", false, true);
  expect(code).toBe(130);
  expect(JSON.parse(stdout)).toEqual({ event: "error", error: "BatouError", message: "interrupted (SIGINT) while batou was starting: nothing was started", context: {} });
});

test("once the command has its own handler, that one decides", async () => {
  expect(await interrupted("SIGINT", true)).toEqual({ stdout: "the command's own handler\n", stderr: "", code: 7 });
});

test("after a command's handler is gone (its run ended), the message claims nothing about what was started", async () => {
  expect(await interrupted("SIGTERM", false, false, true)).toEqual({ stdout: "", stderr: "batou: interrupted (SIGTERM)\n", code: 143 });
});
