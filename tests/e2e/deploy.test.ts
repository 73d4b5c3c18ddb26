/** `batou deploy` through the CLI, from source and compiled: deploy, predict, check, jobs, events, exit codes. */
import { beforeAll, describe, expect, test } from "bun:test";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "../helpers/wait.ts";
import { ensureCompiled, hasStackTrace, type JsonEvent, REPO, RUNNERS, runBatou, type TempProject, tempProject } from "../helpers/project.ts";

beforeAll(() => ensureCompiled(), 300_000);

const FILES = {
  "components/app/component.ts": `import { Component, Directory, File } from "batou";

export class App extends Component {
  greeting = "Hello";
  configure() {
    this.add(new Directory("data"));
    this.add(new File("data/greeting.txt", { content: \`\${this.greeting}, \${this.host.name}!\\n\` }));
    this.provide("app", this.workdir);
    this.log(\`greeting is \${this.greeting}\`);
  }
}
`,
  "components/watcher/component.ts": `import { Component, File } from "batou";

export class Watcher extends Component {
  configure() {
    const dirs = this.require<string>("app");
    this.add(new File("watching", { content: dirs.join("\\n") + "\\n" }));
  }
}
`,
  "components/failing/component.ts": `import { Component, UpdateNeeded } from "batou";

export class Failing extends Component {
  how = "throw";
  async verify() {
    throw new UpdateNeeded();
  }
  async update() {
    if (this.how === "throw") throw new Error("disk full");
    await this.cmd("echo partial work; echo no space left >&2; exit 4");
  }
}
`,
  "components/partial/component.ts": `import { Component, File, UpdateNeeded } from "batou";

class Breaks extends Component {
  async verify() {
    throw new UpdateNeeded();
  }
  async update() {
    throw new Error("disk full after the first file");
  }
}

export class Partial extends Component {
  configure() {
    this.add(new File("written.txt", { content: "written\\n" }));
    this.add(new Breaks());
  }
}
`,
  "components/meet/component.ts": `import { Component } from "batou";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Waits (10 s at most) until the other root has started too: only roots deployed in parallel get past. */
async function meet(component: Component, me: string, other: string) {
  const base = join(component.workdir, "..");
  mkdirSync(base, { recursive: true });
  writeFileSync(join(base, me + ".started"), "");
  for (let i = 0; i < 200 && !existsSync(join(base, other + ".started")); i++) await new Promise((r) => setTimeout(r, 50));
  if (!existsSync(join(base, other + ".started"))) throw new Error(other + " never ran beside " + me);
}

export class Left extends Component {
  async verify() {
    await meet(this, "left", "right");
  }
}

export class Right extends Component {
  async verify() {
    await meet(this, "right", "left");
  }
}
`,
  "components/slow/component.ts": `import { Component, File } from "batou";

export class Slow extends Component {
  configure() {
    this.add(new File("quick.txt", { content: "quick\\n" }));
  }
  async verify() {
    await new Promise((resolve) => setTimeout(resolve, 1100));
  }
}
`,
  "components/sleeper/component.ts": `import { Component, File } from "batou";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export class Sleeper extends Component {
  configure() {
    this.add(new File("before.txt", { content: "written before the sleep\\n" }));
    this.provide("slept", true);
  }
  async verify() {
    writeFileSync(join(this.workdir, "..", "sleeping"), String(process.pid));
    await new Promise((resolve) => setTimeout(resolve, 60_000));
  }
}

export class After extends Component {
  configure() {
    this.require("slept");
  }
}
`,
  "environments/dev.toml": `[environment]\nconnect_method = "local"\n\n[hosts.localhost]\ncomponents = ["watcher", "app"]\n`,
  "environments/jobs.toml": `[environment]\nconnect_method = "local"\njobs = 2\n\n[hosts.localhost]\ncomponents = ["watcher", "app"]\n`,
  "environments/broken.toml": `[environment]\nconnect_method = "local"\n\n[hosts.localhost]\ncomponents = ["app", "watcher", "failing"]\n`,
  "environments/cmdfail.toml": `[environment]\nconnect_method = "local"\n\n[hosts.localhost]\ncomponents = ["failing"]\n\n[components.failing]\nhow = "cmd"\n`,
  "environments/partial.toml": `[environment]\nconnect_method = "local"\n\n[hosts.localhost]\ncomponents = ["partial"]\n`,
  "environments/parallel.toml": `[environment]\nconnect_method = "local"\n\n[hosts.localhost]\ncomponents = ["left", "right"]\n`,
  "environments/slow.toml": `[environment]\nconnect_method = "local"\n\n[hosts.localhost]\ncomponents = ["slow"]\n`,
  "environments/interrupt.toml": `[environment]\nconnect_method = "local"\n\n[hosts.localhost]\ncomponents = ["after", "sleeper"]\n`,
  "environments/two.toml": `[environment]\nconnect_method = "local"\n\n[hosts.one]\ncomponents = ["app"]\n\n[hosts.two]\ncomponents = ["watcher"]\n\n[hosts.three]\ncomponents = ["failing"]\nignore = true\n`,
  "environments/mixed.toml": `[environment]\nconnect_method = "local"\n\n[hosts.localhost]\ncomponents = ["app", "!failing"]\n\n[hosts.faraway]\ncomponents = ["watcher"]\nignore = true\n`,
};

const TREE = ["App > Directory('data')", "App > File('data/greeting.txt') > Content('greeting.txt')", "App > File('data/greeting.txt')", "App"];

const ofType = (events: JsonEvent[], type: string) => events.filter((e) => e.event === type);
const names = (events: JsonEvent[]) => ofType(events, "component").map((e) => e.component as string);

describe.each(RUNNERS)("deploy ($name)", (runner) => {
  const run = (project: TempProject, ...args: string[]) => runBatou(runner, args, project.dir);

  test("deploys files, reports changes with diffs; a second run changes nothing", () => {
    using project = tempProject(FILES);
    const first = run(project, "deploy", "dev");
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(project.read("work/app/data/greeting.txt")).toBe("Hello, localhost!\n");
    expect(project.read("work/watcher/watching")).toBe(`${project.dir}/work/app\n`);
    expect(first.stdout).toContain("localhost: App > File('data/greeting.txt') > Content('greeting.txt')");
    expect(first.stdout).toContain("+Hello, localhost!");
    expect(first.stdout).toContain("localhost: greeting is Hello");
    expect(first.stdout).toMatch(/Deployment finished: 3 changed component\(s\)/);

    const second = run(project, "deploy", "dev", "--json");
    expect(second.code).toBe(0);
    expect(second.events.at(-1)).toBe(second.summary!);
    expect(second.summary).toMatchObject({ event: "summary", ok: true, changed: 0, hosts: 1 });
    expect(typeof second.summary!.seconds).toBe("number");
    const components = ofType(second.events, "component");
    expect(components.every((e) => e.changed === false && e.host === "localhost")).toBe(true);
    expect(names(second.events)).toEqual([...TREE, "Watcher > File('watching') > Content('watching')", "Watcher > File('watching')", "Watcher"]);
    expect(ofType(second.events, "diff")).toHaveLength(0);
  });

  test("--json events: a component event for every verified component, summary last", () => {
    using project = tempProject(FILES);
    const result = run(project, "deploy", "dev", "--json");
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split("\n").every((line) => line.startsWith("{"))).toBe(true);
    const events = ofType(result.events, "component");
    expect(events).toHaveLength(7);
    expect(events.find((e) => e.component === "App")).toMatchObject({ host: "localhost", changed: true });
    expect(events.find((e) => e.component === "App > Directory('data')")).toMatchObject({ changed: true });
    expect(result.summary).toMatchObject({ ok: true, changed: 3, hosts: 1 });
    expect(result.events.at(-1)!.event).toBe("summary");
  });

  test("-P predicts changes and diffs without making them", () => {
    using project = tempProject(FILES);
    const predicted = run(project, "deploy", "dev", "-P", "--json");
    expect(predicted.code).toBe(0);
    expect(project.deployedNothing()).toBe(true);
    expect(predicted.summary).toMatchObject({ ok: true, changed: 3 });
    const diff = ofType(predicted.events, "diff").find((e) => String(e.path).endsWith("greeting.txt"));
    expect(diff?.diff).toContain("+Hello, localhost!");

    expect(run(project, "deploy", "dev").code).toBe(0);
    project.write("environments/dev.toml", `${FILES["environments/dev.toml"]}\n[components.app]\ngreeting = "Hi"\n`);
    const text = run(project, "deploy", "dev", "--predict-only");
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("-Hello, localhost!");
    expect(text.stdout).toContain("+Hi, localhost!");
    expect(text.stdout).toMatch(/Deployment prediction finished: 1 changed/);
    expect(project.read("work/app/data/greeting.txt")).toBe("Hello, localhost!\n");
  });

  test("-P --exit-code: 3 when something would change, 0 when nothing would, 1 on errors", () => {
    using project = tempProject(FILES);
    expect(run(project, "deploy", "dev", "-P").code).toBe(0);
    const drift = run(project, "deploy", "dev", "-P", "--exit-code", "--json");
    expect(drift.code).toBe(3);
    expect(drift.summary).toMatchObject({ ok: true, changed: 3 });
    expect(project.deployedNothing()).toBe(true);
    expect(run(project, "deploy", "dev").code).toBe(0);
    expect(run(project, "deploy", "dev", "-P", "--exit-code").code).toBe(0);
    project.write("environments/dev.toml", `${FILES["environments/dev.toml"]}\n[components.app]\nnosuchattribute = 1\n`);
    expect(run(project, "deploy", "dev", "-P", "--exit-code").code).toBe(1);
  });

  test("-c checks the model and deploys nothing", () => {
    using project = tempProject(FILES);
    const result = run(project, "deploy", "dev", "-c", "--json");
    expect(result.code).toBe(0);
    expect(ofType(result.events, "component")).toHaveLength(0);
    expect(result.summary).toMatchObject({ ok: true, changed: 0, components: 7, hosts: 1 });
    expect(project.deployedNothing()).toBe(true);
    const text = run(project, "deploy", "dev", "--consistency-only");
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Consistency check finished: 7 components on 1 host are consistent \(\d+\.\d\ds: load=/m);
  });

  test("-j 2 deploys every root, providers before their requirers", () => {
    for (const args of [["dev", "-j", "2"], ["jobs"]]) {
      using project = tempProject(FILES);
      const result = run(project, "deploy", ...args, "--json");
      expect(result.code).toBe(0);
      const roots = ofType(result.events, "root").map((e) => `${e.root}:${e.status}`);
      expect(roots.indexOf("app:done")).toBeLessThan(roots.indexOf("watcher:start"));
      expect(project.read("work/watcher/watching")).toBe(`${project.dir}/work/app\n`);
    }
  });

  test("-j 2 deploys independent roots at the same time (each waits until the other has started)", () => {
    using project = tempProject(FILES);
    const parallel = run(project, "deploy", "parallel", "-j", "2", "--json");
    expect(parallel.output).not.toContain("never ran beside");
    expect(parallel.code).toBe(0);
    expect(project.exists("work/left.started") && project.exists("work/right.started")).toBe(true);
  });

  test("after a partial failure the failure message and the summary count what was written", () => {
    using project = tempProject(FILES);
    const text = run(project, "deploy", "partial");
    expect(text.code).toBe(1);
    expect(project.read("work/partial/written.txt")).toBe("written\n");
    expect(text.stderr).toContain("update() failed: disk full after the first file");
    expect(text.stderr).toMatch(/changed hosts: localhost$/m);
    project.remove("work/partial");
    const json = run(project, "deploy", "partial", "--json");
    const updated = ofType(json.events, "component").filter((e) => e.updated);
    expect(updated.map((e) => e.component)).toEqual(["Partial > File('written.txt') > Content('written.txt')"]);
    expect(json.summary).toMatchObject({ ok: false, changed: 1 });
  });

  test("a slow component is named with its time; --json component events carry seconds", () => {
    using project = tempProject(FILES);
    const text = run(project, "deploy", "slow");
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^localhost: Slow took 1\.\d\ds$/m);
    expect(text.stdout).not.toContain("File('quick.txt') took");
    const json = run(project, "deploy", "slow", "--json");
    const components = ofType(json.events, "component");
    expect(components.map((e) => typeof e.seconds)).toEqual(["number", "number", "number"]);
    expect(components.find((e) => e.component === "Slow")!.seconds as number).toBeGreaterThanOrEqual(1);
  });

  test("Ctrl-C (local): exit 130, the message names what changed and the roots left undone; the summary counts what was written", async () => {
    using project = tempProject(FILES);
    const interrupted = async (...args: string[]) => {
      project.remove("work");
      const proc = Bun.spawn([...runner.argv, "deploy", "interrupt", ...args], { cwd: project.dir, env: { ...process.env, NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe" });
      let exited = false;
      void proc.exited.then(() => (exited = true));
      await waitFor(() => exited || project.exists("work/sleeping"), 30, "the sleeper to start");
      proc.kill("SIGINT");
      const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
      return { stdout, stderr, code };
    };
    const text = await interrupted();
    expect(text.code).toBe(130);
    expect(text.stderr).toContain("ERROR: interrupted (SIGINT)");
    expect(text.stderr).toMatch(/changed hosts: localhost$/m);
    expect(text.stderr).toMatch(/stopped halfway: localhost\/sleeper\n\s+not started: localhost\/after\n/);
    expect(text.stdout).toMatch(/^Deployment FAILED \(during deploy\): 1 changed component\(s\)/m);
    const json = await interrupted("--json");
    expect(json.code).toBe(130);
    const events = json.stdout.trim().split("\n").map((line) => JSON.parse(line));
    expect(events.at(-1)).toMatchObject({ event: "summary", ok: false, changed: 1 });
    expect(events.find((e) => e.event === "error").context).toMatchObject({ "stopped halfway": "localhost/sleeper", "not started": "localhost/after" });
  }, 60_000);

  test("--hosts and --exclude-hosts deploy only those hosts; the whole model is still configured and checked", () => {
    using project = tempProject(FILES);
    const statuses = (events: JsonEvent[]) => ofType(events, "root").map((e) => `${e.host}/${e.root}:${e.status}`).sort();
    const only = run(project, "deploy", "two", "--hosts", "two", "--json");
    expect(only.code).toBe(0);
    expect(statuses(only.events)).toEqual(["one/app:skip-excluded", "three/failing:skip-host", "two/watcher:done", "two/watcher:start"]);
    // watcher read the resource of app on the host not deployed
    expect(project.read("work/watcher/watching")).toBe(`${project.dir}/work/app\n`);
    expect(project.exists("work/app")).toBe(false);
    expect(only.summary).toMatchObject({ ok: true, hosts: 3 });

    const text = run(project, "deploy", "two", "--exclude-hosts", "two");
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("two: skipping watcher (host excluded)");
    expect(project.exists("work/app/data/greeting.txt")).toBe(true);

    const unknown = run(project, "deploy", "two", "--hosts", "one,four");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('ERROR: --hosts names an unknown host "four"');
    expect(unknown.stderr).toContain("known: one, three, two");

    project.write("components/watcher/component.ts", "export class Broken {\n");
    const broken = run(project, "deploy", "two", "--hosts", "one");
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain("components/watcher/component.ts");
  });

  test("an ignored host and a !component are configured but not deployed", () => {
    using project = tempProject(FILES);
    const result = run(project, "deploy", "mixed", "--json");
    expect(result.code).toBe(0);
    const skips = ofType(result.events, "root").filter((e) => String(e.status).startsWith("skip"));
    expect(skips.map((e) => `${e.host}/${e.root}:${e.status}`).sort()).toEqual(["faraway/watcher:skip-host", "localhost/failing:skip-component"]);
    expect(project.exists("work/app/data/greeting.txt")).toBe(true);
    expect(project.exists("work/watcher")).toBe(false);
    expect(project.exists("work/failing")).toBe(false);
    expect(result.summary).toMatchObject({ ok: true, hosts: 2 });
  });

  test("an update() that throws stops the run naming host, component and line", () => {
    using project = tempProject(FILES);
    const result = run(project, "deploy", "broken");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("update() failed: disk full");
    expect(result.stderr).toContain("host: localhost");
    expect(result.stderr).toContain("component: Failing");
    expect(result.stderr).toContain("components/failing/component.ts:9");
    expect(result.output).toMatch(/^Deployment FAILED \(during deploy\): /m);
    expect(result.output.match(/FAILED/g)).toHaveLength(1);
    expect(hasStackTrace(result.output)).toBe(false);
    const json = run(project, "deploy", "broken", "--json");
    expect(json.code).toBe(1);
    expect(json.summary).toMatchObject({ ok: false });
    const debug = run(project, "deploy", "broken", "--debug");
    expect(debug.code).toBe(1);
    expect(hasStackTrace(debug.output)).toBe(true);
  });

  test("a failing command names the command, exit code, output and the line that ran it", () => {
    using project = tempProject(FILES);
    const result = run(project, "deploy", "cmdfail");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("command failed with exit code 4: echo partial work");
    expect(result.stderr).toMatch(/stderr: no space left/);
    expect(result.stderr).toMatch(/stdout: partial work/);
    expect(result.stderr).toContain("components/failing/component.ts:10");
    expect(result.stderr).toContain("component: Failing");
    expect(hasStackTrace(result.output)).toBe(false);
  });

  test("usage errors exit 2; --help and --version exit 0", () => {
    using project = tempProject(FILES);
    for (const args of [[], ["deploy"], ["deploy", "dev", "extra"], ["deploy", "dev", "--jobs", "0"], ["deploy", "dev", "-j", "two"], ["deploy", "dev", "--bogus"], ["nosuchcommand"]]) {
      const result = run(project, ...args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(hasStackTrace(result.output)).toBe(false);
    }
    expect(run(project, "deploy", "--help").stdout).toContain("usage: batou deploy ENV");
    expect(run(project, "--help").code).toBe(0);
    const version = run(project, "--version");
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^batou \d+\.\d+/);
    expect(project.deployedNothing()).toBe(true);
  });

  test("runs from a sub-directory of the project", () => {
    using project = tempProject(FILES);
    const result = runBatou(runner, ["deploy", "dev"], join(project.dir, "components", "app"));
    expect(result.code).toBe(0);
    expect(project.exists("work/app/data/greeting.txt")).toBe(true);
  });

  test("the example project of this repository deploys, and a second run changes nothing", () => {
    using project = tempProject();
    cpSync(join(REPO, "components"), join(project.dir, "components"), { recursive: true });
    cpSync(join(REPO, "environments"), join(project.dir, "environments"), { recursive: true });
    const first = run(project, "deploy", "local", "--json");
    expect(first.code).toBe(0);
    expect(first.summary).toMatchObject({ ok: true });
    expect(first.summary!.changed as number).toBeGreaterThan(0);
    const index = readFileSync(join(project.dir, "work/statussite/site/index.html"), "utf8");
    expect(index).toContain("Service status");
    expect(index).toContain("api");
    const second = run(project, "deploy", "local", "--json");
    expect(second.summary).toMatchObject({ ok: true, changed: 0 });
    writeFileSync(join(project.dir, "work/services/api.conf"), "tampered\n");
    const third = run(project, "deploy", "local", "--json");
    expect(third.summary).toMatchObject({ ok: true, changed: 1 });
  });
});
