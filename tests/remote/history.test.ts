/**
 * The deployment history over SSH on the test bed: the agent appends to
 * TARGET/.batou/history.jsonl as the service user; a re-shipped executable
 * (rsync delta with delete) leaves it alone; `batou history` reads it back
 * over SSH without starting an agent.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { appendFileSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { VERSION } from "../../lib/version.ts";
import { RUNNERS, runBatou } from "../helpers/project.ts";
import { startTestbed, type Testbed, testbedAvailability } from "../testbed/testbed.ts";
import { deploy, deployEnv, makeProject, pgrep, type Project, waitFor } from "./remote-helpers.ts";

const bed = testbedAvailability();

describe.skipIf(!bed.ok)("deployment history over SSH", () => {
  let tb: Testbed;
  let project: Project;
  const target = `t-history-${process.pid}`;
  const file = (host: string, user: string) => join(tb.roots[host]!, "home", user, target, ".batou/history.jsonl");
  const entries = (host: string, user: string) => readFileSync(file(host, user), "utf8").trim().split("\n").map((line) => JSON.parse(line));

  beforeAll(async () => {
    tb = await startTestbed(2);
    project = makeProject(tb, {
      "environments/hist.toml": `[environment]\ntarget_directory = "${target}"\njobs = 2\n\n[hosts.host1]\ncomponents = ["hello"]\n\n[hosts.host2]\ncomponents = ["hello"]\nservice_user = "service"\n`,
      "components/hello/component.ts": `import { Component, File } from "batou";\nexport class Hello extends Component {\n  configure() {\n    this.add(new File("hello.txt", { content: "hello from " + this.host.name + "\\\\n" }));\n  }\n}\n`,
    });
  }, 60_000);
  afterAll(() => project?.remove());

  test("every host records the deployment as its service user; a re-shipped executable keeps the history; batou history reads it", async () => {
    const first = await deploy(project, "hist");
    expect(first.errors).toEqual([]);
    expect(first.code).toBe(0);
    const [one] = entries("host1", tb.user);
    expect(one).toMatchObject({ host: "host1", environment: "hist", batou: VERSION, ok: true, changed: ["Hello > File('hello.txt') > Content('hello.txt')"] });
    expect(entries("host2", "service")).toHaveLength(1);
    expect(statSync(file("host2", "service")).uid).toBe(statSync(join(tb.roots.host2!, "home", "service")).uid);

    // a damaged executable is shipped again by rsync delta (with --delete): the history stays
    // (once the agent, which ends by itself after its last deploy, is gone: its file is busy while it runs)
    await waitFor(() => pgrep(`batou-${VERSION} agent`, `/home/${tb.user}/${target}`).length === 0, 10, "the agent to end");
    appendFileSync(join(tb.roots.host1!, "home", tb.user, target, ".batou", `batou-${VERSION}`), "damage");
    const second = await deploy(project, "hist", ["--hosts", "host1"]);
    expect(second.code).toBe(0);
    expect(second.events.some((e) => e.event === "host" && e.host === "host1" && e.status === "shipped-executable")).toBe(true);
    expect(entries("host1", tb.user).map((e) => e.changed.length)).toEqual([1, 0]);
    expect(entries("host2", "service")).toHaveLength(1);

    const shown = runBatou(RUNNERS[0]!, ["history", "hist", "host2", "--json"], project.dir, deployEnv());
    expect(shown.stderr).toBe("");
    expect(shown.code).toBe(0);
    expect(shown.events).toEqual([{ event: "history", ...entries("host2", "service")[0] }]);
    const text = runBatou(RUNNERS[0]!, ["history", "hist"], project.dir, deployEnv());
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`host1: 2 deployment(s) (host1:${target}/.batou/history.jsonl)`);
    expect(text.stdout).toContain(`host2: 1 deployment(s) (host2:${target}/.batou/history.jsonl)`);
  }, 120_000);

  test("a host without a history says so", () => {
    const fresh = makeProject(tb, {
      "environments/none.toml": `[environment]\ntarget_directory = "t-none-${process.pid}"\n\n[hosts.host2]\ncomponents = []\n`,
    });
    try {
      const text = runBatou(RUNNERS[0]!, ["history", "none"], fresh.dir, deployEnv());
      expect(text.code).toBe(0);
      expect(text.stdout).toBe(`host2: no deployments recorded (host2:t-none-${process.pid}/.batou/history.jsonl)\n`);
    } finally {
      fresh.remove();
    }
  });
});
