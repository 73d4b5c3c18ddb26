/**
 * `--json` output reaches a reader that is slower than batou: batou exits only
 * once everything it printed is out, so the stream ends with the summary (a
 * pipe holds 64 KiB; the rest used to be lost at the exit).
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { tempDir, writeTree } from "../helpers/temp.ts";

const BATOU = join(import.meta.dir, "../../batou.ts");

test("a --json deploy whose reader starts late still gets every event and the summary", async () => {
  using project = tempDir("batou-json-");
  writeTree(project.path, "environments/local.toml", '[environment]\nconnect_method = "local"\n\n[hosts.localhost]\ncomponents = ["many"]\n');
  writeTree(
    project.path,
    "components/many/component.ts",
    `import { Component, File } from "batou";
export class Many extends Component {
  configure() { for (let i = 0; i < 600; i++) this.add(new File("f" + i + ".txt", { content: "file " + i + "\\n" })); }
}
`,
  );
  // a real pipe whose reader starts 3 s late (Bun.spawn would read it at once): batou's output
  // exceeds what the pipe holds, so batou is done writing before anything is read
  const script = `"$0" "$1" deploy local --json; echo "exit $?" >&2`;
  const proc = Bun.spawn(["sh", "-c", `(${script}) | { sleep 3; cat; }`, process.execPath, BATOU], { cwd: project.path, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect(stderr).toBe("exit 0\n");
  expect(stdout.length).toBeGreaterThan(128 * 1024);
  const last = JSON.parse(stdout.trimEnd().split("\n").at(-1)!);
  expect(last).toMatchObject({ event: "summary", ok: true });
}, 60_000);
