/**
 * What a deployment shows on a terminal (a real pty through script(1)) and
 * without one, from source and compiled: progress lines, the live status
 * line while a root runs, nothing extra under --json.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { ensureCompiled, RUNNERS, runBatou, tempProject } from "../helpers/project.ts";
import { HAVE_SCRIPT, onTerminal } from "../helpers/terminal.ts";

beforeAll(() => ensureCompiled(), 300_000);

const FILES = {
  "environments/dev.toml": `[environment]\nconnect_method = "local"\n\n[hosts.localhost]\ncomponents = ["quick", "slow"]\n`,
  "components/slow/component.ts": `import { Component, File } from "batou";
export class Quick extends Component {
  configure() {
    this.add(new File("quick.txt", { content: "quick\\n" }));
  }
}
export class Slow extends Component {
  async verify() {
    await new Promise((resolve) => setTimeout(resolve, 1200));
  }
}
`,
};

const LIVE = "\r\x1b[2K";

describe.each(RUNNERS)("progress output ($name)", (runner) => {
  test.skipIf(!HAVE_SCRIPT)("on a terminal: the live line shows the root in flight; finished roots are lines", () => {
    using project = tempProject(FILES);
    const screen = onTerminal(runner, ["deploy", "dev"], project.dir);
    expect(screen.code).toBe(0);
    // the live line: spinner, elapsed time, the running root with its time
    expect(screen.output).toMatch(new RegExp(`${LIVE.replace("[", "\\[")}[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] \\d+\\.\\ds  localhost: slow \\d+\\.\\ds`));
    expect(screen.output).toMatch(/localhost: quick done in \d+\.\d\ds \(1 changed\)\r\n/);
    expect(screen.output).toMatch(/localhost: slow done in 1\.\d\ds \(nothing changed\)\r\n/);
    expect(screen.output).not.toContain("deploying slow"); // the live line says it
    // gone before the summary: the summary starts a line of its own and nothing is drawn after it
    const [before, after] = screen.output.split("Deployment finished: 1 changed component(s) of 4 on 1 host(s)");
    expect(before).toEndWith("\r\n");
    expect(after).not.toContain("\x1b");
  });

  test("without a terminal: plain lines, each root as it starts and is done, no terminal codes", () => {
    using project = tempProject(FILES);
    const plain = runBatou(runner, ["deploy", "dev"], project.dir);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^localhost: deploying quick\nlocalhost: Quick > File\('quick.txt'\)/m);
    expect(plain.stdout).toMatch(/^localhost: deploying slow\nlocalhost: Slow took 1\.\d\ds\nlocalhost: slow done in 1\.\d\ds \(nothing changed\)\n/m);
    expect(plain.output).not.toContain("\x1b");
  });

  test.skipIf(!HAVE_SCRIPT)("--json on a terminal: only JSON lines, no progress ticks", () => {
    using project = tempProject(FILES);
    const screen = onTerminal(runner, ["deploy", "dev", "--json"], project.dir);
    expect(screen.code).toBe(0);
    const lines = screen.output.split("\r\n").filter(Boolean);
    expect(lines.every((line) => line.startsWith("{"))).toBe(true);
    const events = lines.map((line) => JSON.parse(line).event);
    expect(events).not.toContain("progress");
    expect(events.at(-1)).toBe("summary");
  });
});
