/**
 * Progress of a first deployment to fresh target directories over SSH, on a
 * real pty (script(1)) and as --json: connected, batou and the project
 * shipped with their bytes, configured, each root done; the live line while
 * a root runs; no progress ticks in --json.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RUNNERS } from "../helpers/project.ts";
import { HAVE_SCRIPT, onTerminal } from "../helpers/terminal.ts";
import { startTestbed, type Testbed, testbedAvailability } from "../testbed/testbed.ts";
import { deploy, deployEnv, makeProject, type Project } from "./remote-helpers.ts";

const bed = testbedAvailability();

const COMPONENT = `import { Component, File } from "batou";
export class Hello extends Component {
  configure() {
    this.add(new File("hello.txt", { content: "hello from " + this.host.name + "\\n" }));
  }
  async verify() {
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await super.verify();
  }
}
`;

describe.skipIf(!bed.ok)("progress of a first deployment over SSH", () => {
  let tb: Testbed;
  const projects: Project[] = [];
  /** A project deploying `hello` to host1 and host2 (as the service user) in a target directory nobody used yet. */
  const fresh = (name: string) => {
    const target = `t-progress-${name}-${process.pid}`;
    const env = `[environment]\ntarget_directory = "${target}"\njobs = 2\n\n[hosts.host1]\ncomponents = ["hello"]\n\n[hosts.host2]\ncomponents = ["hello"]\nservice_user = "service"\n`;
    const project = makeProject(tb, { "environments/prod.toml": env, "components/hello/component.ts": COMPONENT });
    projects.push(project);
    return project;
  };

  beforeAll(async () => {
    tb = await startTestbed(2);
  }, 60_000);
  afterAll(() => projects.forEach((p) => p.remove()));

  test.skipIf(!HAVE_SCRIPT)("on a terminal: a line per host and step with bytes, the live line while the roots run", () => {
    const project = fresh("pty");
    const screen = onTerminal(RUNNERS[0]!, ["deploy", "prod"], project.dir, deployEnv());
    expect(screen.code).toBe(0);
    for (const host of ["host1", "host2"]) {
      expect(screen.output).toMatch(new RegExp(`${host}: connected in \\d+\\.\\d\\ds\\r\\n`));
      expect(screen.output).toMatch(new RegExp(`${host}: batou shipped in \\d+\\.\\d\\ds \\(\\d+\\.\\d [kMG]B sent\\)\\r\\n`));
      expect(screen.output).toMatch(new RegExp(`${host}: project shipped in \\d+\\.\\d\\ds \\(\\d+ file\\(s\\) changed, [\\d.]+ k?B sent\\)\\r\\n`));
      expect(screen.output).toMatch(new RegExp(`${host}: configured in \\d+\\.\\d\\ds\\r\\n`));
      expect(screen.output).toMatch(new RegExp(`${host}: hello done in 1\\.\\d\\ds \\(1 changed\\)\\r\\n`));
    }
    expect(screen.output).toMatch(/\r\x1b\[2K[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] \d+\.\ds  host1: hello \d\.\ds · host2: hello \d\.\ds/);
    expect(screen.output).toMatch(/Deployment finished: 2 changed component\(s\) of 6 on 2 host\(s\)/);
  }, 120_000);

  test("--json: the host events carry seconds and bytes; no progress ticks", async () => {
    const project = fresh("json");
    const result = await deploy(project, "prod");
    expect(result.code).toBe(0);
    expect(result.events.some((e) => e.event === "progress")).toBe(false);
    const host = (status: string) => result.events.filter((e) => e.event === "host" && e.status === status);
    expect(host("shipped-executable").map((e) => e.bytes > 1_000_000 && e.seconds > 0)).toEqual([true, true]);
    expect(host("shipped").every((e) => e.bytes > 0 && e.files === 3)).toBe(true);
    expect(host("configured")).toHaveLength(2);
  }, 120_000);
});
