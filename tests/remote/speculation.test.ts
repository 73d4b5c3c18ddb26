/**
 * Speculative verify, end to end against the test bed with each SSH client:
 * each agent verifies its roots right after configuring (read-only); a root
 * that needs nothing, and that nothing it depends on changed before its turn,
 * is replayed (its events, no deploy request). Shows: a no-op sends no deploy
 * request and gives the output and summary of a deploy; a root that needs an
 * update is deployed; a root on another host whose verify depends on a changed
 * provider IS deployed; history and lock of all-replayed hosts; Ctrl-C while
 * the agents verify.
 *
 * The cross-host case needs state that both hosts see: the test bed's hosts
 * share /dev/shm (it is not one of their private mounts), so the components
 * keep their marks in a folder there.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Testbed, startTestbed, testbedAvailability } from "../testbed/testbed.ts";
import { VERSION } from "../../lib/version.ts";
import { deploy, finish, makeProject, pgrep, type Project, type RunResult, SSH_CLIENTS, sshClientSetting, startDeploy, waitFor } from "./remote-helpers.ts";

const bed = testbedAvailability();

/** A provider whose verify compares its mark with the wanted version, and a requirer on another host that copies the provider's mark. */
const components = (shared: string) => ({
  "components/source/component.ts": `import { Component, File, UpdateNeeded } from "batou";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
const read = (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : "");
export class Source extends Component {
  configure() {
    this.provide("source", "${shared}/source");
    this.add(new File("source.txt", { content: "source on " + this.host.name + "\\n" }));
  }
  verify() { if (read("${shared}/source") !== read("${shared}/wanted")) throw new UpdateNeeded(); }
  update() { writeFileSync("${shared}/source", read("${shared}/wanted")); }
}
`,
  "components/copy/component.ts": `import { Component, File, UpdateNeeded } from "batou";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
const read = (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : "");
export class Copy extends Component {
  from = "";
  configure() {
    this.from = this.requireOne<string>("source");
    this.add(new File("copy.txt", { content: "copy on " + this.host.name + "\\n" }));
  }
  verify() { if (read("${shared}/copy") !== read(this.from)) throw new UpdateNeeded(); }
  update() { writeFileSync("${shared}/copy", read(this.from)); }
}
`,
  "components/files/component.ts": `import { Component, File } from "batou";
export class Files extends Component {
  configure() { for (let i = 0; i < 5; i++) this.add(new File("f" + i + ".txt", { content: "file " + i + "\\n" })); }
}
`,
  "components/pause/component.ts": `import { Component, File } from "batou";
import { existsSync, writeFileSync } from "node:fs";
/** Its verify takes 30 s once ${shared}/pause exists (and says so in ${shared}/pausing). */
export class Pause extends Component {
  configure() { this.add(new File("pause.txt", { content: "pause\\n" })); }
  async verify() {
    if (!existsSync("${shared}/pause")) return;
    writeFileSync("${shared}/pausing", String(process.pid));
    await new Promise((resolve) => setTimeout(resolve, 30_000));
  }
}
`,
});

function environment(target: string, client: string, hosts: Record<string, string[]>): string {
  const lines = ["[environment]", sshClientSetting(client as never), `target_directory = "${target}"`, "jobs = 3", "timeout = 20"];
  for (const [host, names] of Object.entries(hosts)) lines.push(`[hosts.${host}]`, `components = ${JSON.stringify(names)}`);
  return lines.join("\n") + "\n";
}

/** The --debug lines of `host` that mention `text`. */
const debugLines = (run: RunResult, host: string, text: string) =>
  run.events.filter((e) => e.event === "debug" && String(e.message).startsWith(`${host}: `) && String(e.message).includes(text));

/** What a run reported per component, without the times: per root (roots deploy in parallel), in order. */
function componentEvents(run: RunResult, map = (e: Record<string, unknown>) => e): Record<string, unknown[]> {
  const roots: Record<string, unknown[]> = {};
  for (const e of run.events.filter((e) => e.event === "component")) {
    (roots[`${e.host}/${e.root}`] ??= []).push(map({ component: e.component, changed: e.changed, updated: e.updated }));
  }
  return roots;
}

describe.each(bed.ok ? SSH_CLIENTS : [])("speculative verify with ssh_client %s", (client) => {
  const id = `${client}-${process.pid}`;
  let tb: Testbed;
  let shared: string;
  const projects: Project[] = [];
  const home = (host: string, path: string) => join(tb.roots[host]!, "home", path);
  const history = (host: string, target: string) => {
    const file = home(host, `deploy/${target}/.batou/history.jsonl`);
    return existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").map((line) => JSON.parse(line)) : [];
  };
  const project = (target: string, hosts: Record<string, string[]>) => {
    const p = makeProject(tb, { ...components(shared), "environments/spec.toml": environment(target, client, hosts) });
    projects.push(p);
    return p;
  };
  const agentsGone = (target: string) => waitFor(() => pgrep(`batou-${VERSION} agent`, `/home/deploy/${target}`).length === 0, 10, "the agents to end");

  beforeAll(async () => {
    tb = await startTestbed(3);
    shared = mkdtempSync("/dev/shm/batou-speculation-");
    chmodSync(shared, 0o777);
  }, 60_000);
  afterAll(() => {
    for (const p of projects) p.remove();
    rmSync(shared, { recursive: true, force: true });
    for (const host of tb.hosts) {
      const dir = join(tb.roots[host]!, "home", tb.user);
      if (existsSync(dir)) for (const name of readdirSync(dir)) if (name.endsWith(`-${id}`)) rmSync(join(dir, name), { recursive: true, force: true });
    }
  });

  test("a no-op sends no deploy request, with the output of a deploy; a changed provider's requirer on another host is deployed", async () => {
    const target = `t-spec-${id}`;
    const p = project(target, { host1: ["source", "files"], host2: ["copy"], host3: ["files"] });
    writeFileSync(join(shared, "wanted"), "1");
    const first = await deploy(p, "spec", ["-d"]);
    expect(first.errors).toEqual([]);
    expect(first.code).toBe(0);
    expect(readFileSync(join(shared, "copy"), "utf8")).toBe("1");
    for (const host of ["host1", "host2", "host3"]) expect(debugLines(first, host, "deploy request for").length).toBeGreaterThan(0);
    await agentsGone(target);

    // the no-op: every root replayed, no deploy request anywhere
    const noop = await deploy(p, "spec", ["-d"]);
    expect(noop.errors).toEqual([]);
    expect(noop.code).toBe(0);
    for (const host of ["host1", "host2", "host3"]) {
      expect(debugLines(noop, host, "deploy request for")).toEqual([]);
      expect(debugLines(noop, host, "replayed the verify").length).toBe(host === "host1" ? 2 : 1);
    }
    // host1 and host3 depend on no other host: their agents ended the run themselves; host2's roots
    // read host1's resource, so it waited for the scheduler and got a finish request
    for (const host of ["host1", "host3"]) expect(debugLines(noop, host, "the agent ended the host's run itself").length).toBe(1);
    expect(debugLines(noop, "host2", "finish request").length).toBe(1);
    // the benchmarks read each agent's usage from this line
    for (const host of ["host1", "host2", "host3"]) expect(debugLines(noop, host, "agent peak memory").length).toBe(1);
    // the same output as a deploy that finds nothing to do: every component, in the same order, unchanged
    expect(componentEvents(noop)).toEqual(componentEvents(first, (e) => ({ ...e, changed: false, updated: false })));
    const rootEvents = (run: RunResult) => run.events.filter((e) => e.event === "root").map((e) => `${e.host}/${e.root} ${e.status}`);
    expect(rootEvents(noop).sort()).toEqual(rootEvents(first).sort());
    expect(noop.summary).toMatchObject({ ok: true, changed: 0 });
    const counts = ({ ok, changed, components, hosts, mode }: Record<string, unknown>) => ({ ok, changed, components, hosts, mode });
    expect(counts(noop.summary!)).toEqual({ ...counts(first.summary!), changed: 0 });
    // every host recorded the run and released its lock
    for (const host of ["host1", "host2", "host3"]) {
      const entries = history(host, target);
      expect(entries.length).toBe(2);
      expect(entries[1]).toMatchObject({ host, ok: true, changed: [] });
      expect(existsSync(home(host, `deploy/${target}/.batou-lock`))).toBe(false);
    }
    await agentsGone(target);

    // the provider needs an update; its requirer on host2 verified "nothing" while configuring,
    // but reads what the provider changes: it is deployed for real (else copy stays 1)
    writeFileSync(join(shared, "wanted"), "2");
    const changed = await deploy(p, "spec", ["-d"]);
    expect(changed.errors).toEqual([]);
    expect(changed.code).toBe(0);
    expect(readFileSync(join(shared, "source"), "utf8")).toBe("2");
    expect(readFileSync(join(shared, "copy"), "utf8")).toBe("2");
    expect(debugLines(changed, "host1", "deploy request for source").length).toBe(1);
    expect(debugLines(changed, "host2", "deploy request for copy").length).toBe(1);
    // host3 depends on nothing that changed
    expect(debugLines(changed, "host3", "deploy request for")).toEqual([]);
    const updated = changed.events.filter((e) => e.event === "component" && e.updated).map((e) => `${e.host}/${e.component}`);
    expect(updated.sort()).toEqual(["host1/Source", "host2/Copy"]);
    expect(history("host2", target)[2]).toMatchObject({ ok: true, changed: ["Copy"] });
    await agentsGone(target);

    // a file changed on a host: that root's verify needs an update, it is deployed and put right
    writeFileSync(home("host3", `deploy/${target}/work/files/f2.txt`), "tampered\n");
    const repaired = await deploy(p, "spec", ["-d"]);
    expect(repaired.code).toBe(0);
    expect(debugLines(repaired, "host3", "deploy request for files").length).toBe(1);
    expect(readFileSync(home("host3", `deploy/${target}/work/files/f2.txt`), "utf8")).toBe("file 2\n");
    expect(debugLines(repaired, "host1", "deploy request for")).toEqual([]);

    // -P: replayed too, nothing recorded
    const predicted = await deploy(p, "spec", ["-P", "-d"]);
    expect(predicted.code).toBe(0);
    for (const host of ["host1", "host2", "host3"]) expect(debugLines(predicted, host, "deploy request for")).toEqual([]);
    await agentsGone(target);
    expect(history("host1", target).length).toBe(4);
  }, 120_000);

  test("the launch command carries the opening (hello, lock, manifest), never the setup", async () => {
    const target = `t-spec-opening-${id}`;
    const p = project(target, { host1: ["files"] });
    const run = await deploy(p, "spec", ["-d"]);
    expect(run.code).toBe(0);
    // the probe (nothing there yet), then the agent after shipping: each launch with an opening
    const launches = debugLines(run, "host1", "starting the agent: ").map((e) => String(e.message));
    expect(launches.length).toBe(2);
    for (const launch of launches) {
      const opening = / agent --opening ([A-Za-z0-9_-]+)/.exec(launch)![1]!;
      const lines = Buffer.from(opening, "base64url").toString("utf8").trim().split("\n").map((line) => JSON.parse(line));
      expect(lines.map((m) => m.method ?? m.type)).toEqual(["hello", "lock", "manifest"]);
      expect(lines[1].params.owner.environment).toBe("spec");
    }
    await agentsGone(target);
    expect(debugLines(await deploy(p, "spec", ["-d"]), "host1", "starting the agent: ")[0]!.message).toContain(" agent --opening ");
  }, 90_000);

  test("Ctrl-C while an agent verifies: exit 130, no agent left, locks released, recorded only where the run was over", async () => {
    const target = `t-spec-stop-${id}`;
    const p = project(target, { host1: ["pause"], host2: ["files"] });
    rmSync(join(shared, "pause"), { force: true });
    rmSync(join(shared, "pausing"), { force: true });
    expect((await deploy(p, "spec")).code).toBe(0);
    await agentsGone(target);
    writeFileSync(join(shared, "pause"), "");
    const proc = startDeploy(p, "spec");
    await waitFor(() => existsSync(join(shared, "pausing")), 30, "host1's agent to verify");
    // host2 needs nothing and depends on no other host: its agent ends its run by itself, whatever host1 does
    await waitFor(() => history("host2", target).length === 2, 30, "host2's agent to end its run");
    proc.kill("SIGINT");
    const stopped = await finish(proc);
    rmSync(join(shared, "pause"), { force: true });
    expect(stopped.code).toBe(130);
    await agentsGone(target);
    for (const host of ["host1", "host2"]) expect(existsSync(home(host, `deploy/${target}/.batou-lock`))).toBe(false);
    // host1 was stopped while it verified: nothing recorded; host2's run had ended before the Ctrl-C
    expect(history("host1", target).length).toBe(1);
    expect(history("host2", target)[1]).toMatchObject({ ok: true, changed: [] });
  }, 90_000);
});
