/**
 * The agent protocol over plain pipes (no SSH): `bun batou.ts agent` in a
 * temporary project, driven by AgentClient.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BatouError } from "../../lib/engine/errors.ts";
import { AgentClient } from "../../lib/remote/agent/client.ts";
import { checkHello, encode, hello, LineDecoder, parseAgentMessage, parseRequest, parseResult } from "../../lib/remote/agent/protocol.ts";
import { agentOpening, PROJECT_EXCLUDES } from "../../lib/remote/commands.ts";
import { manifestEntries, manifestOf, projectManifest } from "../../lib/remote/ship/project-manifest.ts";
import { planSync, syncParams } from "../../lib/remote/ship/project-sync.ts";
import { PROTOCOL_VERSION, VERSION } from "../../lib/version.ts";
import type { DeployEvent } from "../../lib/engine/events.ts";
import { waitFor } from "../helpers/wait.ts";

const BATOU = join(import.meta.dir, "../../batou.ts");
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "batou-agent-"));
  dirs.push(dir);
  mkdirSync(join(dir, "components/hello"), { recursive: true });
  mkdirSync(join(dir, "environments"));
  writeFileSync(
    join(dir, "components/hello/component.ts"),
    `import { Component, File } from "batou";
export class Hello extends Component {
  greeting = "hi";
  configure() { this.add(new File("hello.txt", { content: this.greeting + " from " + this.host.name + "\\n" })); }
}
export class Many extends Component {
  count = 10;
  configure() { for (let i = 0; i < this.count; i++) this.add(new File("f" + i + ".txt", { content: "file " + i + "\\n".repeat(50) })); }
}
export class Slow extends Component {
  configure() {}
  async verify() { throw new (await import("batou")).UpdateNeeded(); }
  async update() { await this.cmd("sleep 0.3"); }
}
/** Waits (10 s at most) until the other root has started too: only deploys that run at once get past. */
async function meet(component, me, other) {
  const { existsSync, mkdirSync, writeFileSync } = await import("node:fs");
  const base = component.workdir + "/..";
  mkdirSync(base, { recursive: true });
  writeFileSync(base + "/" + me + ".started", "");
  for (let i = 0; i < 200 && !existsSync(base + "/" + other + ".started"); i++) await new Promise((r) => setTimeout(r, 50));
  if (!existsSync(base + "/" + other + ".started")) throw new Error(other + " never ran beside " + me);
}
export class Left extends Component {
  async verify() { await meet(this, "left", "right"); }
}
export class Right extends Component {
  async verify() { await meet(this, "right", "left"); }
}
`,
  );
  writeFileSync(join(dir, "environments/test.toml"), `[environment]\nconnect_method = "local"\n[hosts.h1]\ncomponents = ["hello", "slow", "left", "right", "many"]\n[components.hello]\ngreeting = "hello"\n`);
  return dir;
}

function spawnAgent(cwd: string) {
  const proc = Bun.spawn([process.execPath, BATOU, "agent"], { cwd, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  const logs: string[] = [];
  const client = new AgentClient("h1", { write: (t) => void proc.stdin.write(t), end: () => void proc.stdin.end() }, (l) => logs.push(l));
  (async () => {
    for await (const chunk of proc.stdout) client.push(chunk);
    client.closed("exited");
  })();
  return { proc, client, logs };
}

describe("agent over pipes", () => {
  test("hello, lock, setup, concurrent deploys, exit on EOF", async () => {
    const dir = project();
    const { proc, client } = spawnAgent(dir);
    const theirs = await client.greeting;
    expect(theirs.protocol).toBe(PROTOCOL_VERSION);
    expect(theirs.version).toBe(VERSION);
    const owner = { user: "me", machine: "here", pid: process.pid, time: new Date().toISOString(), version: VERSION, environment: "test" };
    const locked = await client.request("lock", { owner });
    expect(JSON.parse(readFileSync(locked.path, "utf8")).pid).toBe(theirs.pid);
    const setup = await client.request("setup", { environment: "test", host: "h1", secrets: { file: "s", components: {}, hosts: {}, files: { x: "secret" }, values: [] } });
    expect(setup).toMatchObject({ roots: ["hello", "slow", "left", "right", "many"] });
    const events: DeployEvent[] = [];
    const [a, b] = await Promise.all([
      client.request("deploy", { root: "hello", predicting: false }, { emit: (e) => events.push(e) }),
      client.request("deploy", { root: "slow", predicting: false }, { emit: (e) => events.push(e) }),
    ]);
    expect(a.changed).toBe(1);
    expect(b.changed).toBe(1);
    expect(readFileSync(join(dir, "work/hello/hello.txt"), "utf8")).toBe("hello from h1\n");
    expect(events.filter((e) => e.event === "component").length).toBeGreaterThanOrEqual(3);
    // Each of these verifies waits until the other has started: an agent deploying one request at a time fails here.
    await Promise.all([
      client.request("deploy", { root: "left", predicting: false }),
      client.request("deploy", { root: "right", predicting: false }),
    ]);
    const again = await client.request("deploy", { root: "hello", predicting: false });
    expect(again.changed).toBe(0);
    await expect(client.request("deploy", { root: "nope", predicting: false })).rejects.toThrow(/no root component "nope"/);
    client.end();
    expect(await proc.exited).toBe(0);
    expect(existsSync(join(dir, ".batou-lock"))).toBe(false);
  });

  test("a second agent in the same directory is refused, naming the holder", async () => {
    const dir = project();
    const first = spawnAgent(dir);
    const second = spawnAgent(dir);
    await Promise.all([first.client.greeting, second.client.greeting]);
    const owner = { user: "alice", machine: "laptop", pid: 4242, time: new Date().toISOString(), version: VERSION, environment: "test" };
    await first.client.request("lock", { owner });
    const refused = second.client.request("lock", { owner: { ...owner, user: "bob" } });
    await expect(refused).rejects.toThrow(/locked by another deployment/);
    const error = await refused.catch((e) => e);
    expect(String(error.context["held by"])).toContain("alice@laptop");
    first.client.end();
    second.client.end();
    await Promise.all([first.proc.exited, second.proc.exited]);
  });

  test("a stale lock (dead agent) is taken over", async () => {
    const dir = project();
    writeFileSync(join(dir, ".batou-lock"), JSON.stringify({ user: "x", machine: (await import("node:os")).hostname(), pid: 999999, time: "then", version: "0", environment: "test" }));
    const { proc, client } = spawnAgent(dir);
    await client.greeting;
    const owner = { user: "me", machine: "here", pid: 1, time: "now", version: VERSION, environment: "test" };
    const result = await client.request("lock", { owner });
    expect(result.tookOver?.pid).toBe(999999);
    client.end();
    await proc.exited;
  });

  test("errors travel as BatouError JSON with context", async () => {
    const dir = project();
    const { proc, client } = spawnAgent(dir);
    await client.greeting;
    const error = await client.request("setup", { environment: "test", host: "nohost" }).catch((e) => e);
    expect(error.message).toContain('no host "nohost"');
    expect(error.context.host).toBe("nohost");
    client.end();
    await proc.exited;
  });

  test("protocol version mismatch: the agent names both versions", async () => {
    const dir = project();
    const proc = Bun.spawn([process.execPath, BATOU, "agent"], { cwd: dir, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    proc.stdin.write(encode({ type: "hello", protocol: PROTOCOL_VERSION + 98, version: "9.9.9" }));
    proc.stdin.flush();
    const code = await proc.exited;
    const lines = (await new Response(proc.stdout).text()).trim().split("\n").map((l) => JSON.parse(l));
    expect(code).toBe(3);
    expect(lines[0].type).toBe("hello");
    expect(lines[1].type).toBe("error");
    expect(lines[1].error.message).toContain("protocol version mismatch");
    expect(JSON.stringify(lines[1].error.context)).toContain("9.9.9");
    expect(JSON.stringify(lines[1].error.context)).toContain(VERSION);
  });

  test("protocol version mismatch: the deploying side names host and both versions", () => {
    let error: any;
    try {
      checkHello({ type: "hello", protocol: PROTOCOL_VERSION + 1, version: "7.0.0" }, "web1", "agent");
    } catch (e) {
      error = e;
    }
    expect(error.message).toBe("batou protocol version mismatch with the agent on web1");
    expect(error.context.host).toBe("web1");
    expect(error.context["remote batou"]).toBe(`7.0.0 (protocol ${PROTOCOL_VERSION + 1})`);
    expect(error.context["local batou"]).toContain(VERSION);
  });

  test("the agent exits when stdin closes, stopping running commands", async () => {
    const dir = project();
    const sleep = `37.${process.pid}`; // of its own: other test runs on this machine use the same test
    writeFileSync(join(dir, "components/hello/component.ts"), readFileSync(join(dir, "components/hello/component.ts"), "utf8").replace("sleep 0.3", `sleep ${sleep}`));
    const { proc, client } = spawnAgent(dir);
    await client.greeting;
    await client.request("setup", { environment: "test", host: "h1" });
    void client.request("deploy", { root: "slow", predicting: false }).catch(() => {});
    const sleeping = () => Bun.spawnSync(["pgrep", "-f", `sleep ${sleep}`]).exitCode === 0;
    await waitFor(sleeping, 10, "the component's sleep to run");
    client.end();
    expect(await proc.exited).toBe(0);
    await waitFor(() => !sleeping(), 2, "the component's sleep to be stopped");
  });
  test("a malformed request is refused at the boundary, naming what is wrong; the session goes on", async () => {
    const dir = project();
    const { proc, client } = spawnAgent(dir);
    await client.greeting;
    const answers: string[] = [];
    const raw = Bun.spawn([process.execPath, BATOU, "agent"], { cwd: dir, stdin: "pipe", stdout: "pipe", stderr: "ignore" });
    raw.stdin.write(encode({ type: "hello", protocol: PROTOCOL_VERSION, version: VERSION }));
    raw.stdin.write(JSON.stringify({ type: "request", id: 1, method: "deploy", params: { root: "hello", predicting: "yes" } }) + "\n");
    raw.stdin.write(JSON.stringify({ type: "request", id: 2, method: "ping", params: {} }) + "\n");
    raw.stdin.write(encode({ type: "request", id: 3, method: "manifest", params: { excludes: [] } }));
    raw.stdin.flush();
    for await (const chunk of raw.stdout) {
      answers.push(...new TextDecoder().decode(chunk).split("\n").filter(Boolean));
      if (answers.length >= 4) break;
    }
    raw.stdin.end();
    await raw.exited;
    const [, bad, unknown, manifest] = answers.map((l) => JSON.parse(l));
    expect(bad).toMatchObject({ type: "error", id: 0, error: { message: "malformed deploy request: params.predicting must be a boolean" } });
    expect(unknown.error.message).toBe('malformed request: unknown method "ping"');
    expect(manifest).toMatchObject({ type: "result", id: 3 });
    client.end();
    await proc.exited;
  });

  test("an EOF or SIGTERM during a large tree stops it before the next component: files whole, lock released, exit within a second or two", async () => {
    for (const how of ["EOF", "SIGTERM"] as const) {
      const dir = project();
      writeFileSync(join(dir, "environments/test.toml"), readFileSync(join(dir, "environments/test.toml"), "utf8") + "[components.many]\ncount = 40000\n");
      const { proc, client } = spawnAgent(dir);
      await client.greeting;
      await client.request("lock", { owner: { user: "me", machine: "here", pid: process.pid, time: "now", version: VERSION, environment: "test" } });
      await client.request("setup", { environment: "test", host: "h1" });
      const deploying = client.request("deploy", { root: "many", predicting: false }).catch((e) => e);
      const files = join(dir, "work/many");
      const count = () => (existsSync(files) ? readdirSync(files).length : 0);
      await waitFor(() => count() >= 200, 30, "200 files of the large tree");
      const began = performance.now();
      if (how === "EOF") client.end();
      else proc.kill("SIGTERM");
      const code = await proc.exited;
      const seconds = (performance.now() - began) / 1000;
      const written = readdirSync(files);
      console.log(`agent stop on ${how}: exited ${code} after ${seconds.toFixed(2)} s, ${written.length} of 40000 files written`);
      expect(code).toBe(how === "EOF" ? 0 : 143);
      expect(written.length).toBeLessThan(40000);
      expect(existsSync(join(dir, ".batou-lock"))).toBe(false);
      for (const name of written) expect(readFileSync(join(files, name), "utf8")).toBe(`file ${name.replace(/^f|\.txt$/g, "")}` + "\n".repeat(50));
      if (how === "EOF") expect((await deploying).message).toMatch(/^the deployment was stopped before Many > File/);
      expect(seconds).toBeLessThan(3);
    }
  }, 60_000);
});

describe("pipelined sessions", () => {
  const owner = (user = "me") => ({ user, machine: "here", pid: process.pid, time: new Date().toISOString(), version: VERSION, environment: "test" });
  const setupParams = { environment: "test", host: "h1" };

  test("everything is written before the agent greets; the agent answers in order; the last deploy releases the lock before its answer and ends the agent", async () => {
    const dir = project();
    const { proc, client } = spawnAgent(dir);
    const ours = projectManifest(dir, PROJECT_EXCLUDES).hash;
    // nothing awaited in between: one write's worth of requests
    const lock = client.request("lock", { owner: owner() });
    const manifest = client.request("manifest", { excludes: PROJECT_EXCLUDES, expect: ours });
    const setup = client.request("setup", { ...setupParams, project: ours });
    const first = client.request("deploy", { root: "hello", predicting: false });
    const last = client.request("deploy", { root: "slow", predicting: false, last: true });
    expect((await lock).path).toBe(join(dir, ".batou-lock"));
    expect(await manifest).toEqual({ hash: ours, entries: 5 }); // equal: no list
    expect(await setup).toMatchObject({ roots: ["hello", "slow", "left", "right", "many"] });
    expect((await first).changed).toBe(1);
    expect((await last).changed).toBe(1);
    expect(existsSync(join(dir, ".batou-lock"))).toBe(false); // released before the answer came
    expect(await proc.exited).toBe(0); // and it ended without an EOF
  });

  test("the opening in the command line (hello, lock, manifest) is answered before anything comes on stdin; the setup follows there", async () => {
    const dir = project();
    const ours = projectManifest(dir, PROJECT_EXCLUDES).hash;
    const opening = agentOpening(
      encode(hello()) +
        encode({ type: "request", id: 1, method: "lock", params: { owner: owner() } }) +
        encode({ type: "request", id: 2, method: "manifest", params: { excludes: PROJECT_EXCLUDES, expect: ours } }),
    )!;
    const proc = Bun.spawn([process.execPath, BATOU, "agent", "--opening", opening], { cwd: dir, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    const lines: Record<string, any>[] = [];
    const decoder = new LineDecoder((m) => lines.push(m as Record<string, any>));
    void (async () => {
      for await (const chunk of proc.stdout) decoder.push(chunk);
    })();
    await waitFor(() => lines.length >= 3, 20, "the answers to the opening");
    expect(lines[0]).toMatchObject({ type: "hello", protocol: PROTOCOL_VERSION });
    expect(lines[1]).toEqual({ type: "result", id: 1, result: { path: join(dir, ".batou-lock") } });
    expect(lines[2]).toEqual({ type: "result", id: 2, result: { hash: ours, entries: 5 } });
    proc.stdin.write(encode({ type: "request", id: 3, method: "setup", params: { ...setupParams, project: ours } }));
    proc.stdin.flush();
    await waitFor(() => lines.length >= 4, 20, "the setup's answer");
    expect(lines[3]).toMatchObject({ type: "result", id: 3, result: { roots: ["hello", "slow", "left", "right", "many"] } });
    proc.stdin.end();
    expect(await proc.exited).toBe(0);
    expect(existsSync(join(dir, ".batou-lock"))).toBe(false);
  });

  test("an opening of another protocol is refused with both versions (exit 3); one that is not base64url, with what it must be", async () => {
    const dir = project();
    const run = async (opening: string) => {
      const proc = Bun.spawn([process.execPath, BATOU, "agent", "--opening", opening], { cwd: dir, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
      const code = await proc.exited;
      return { code, lines: (await new Response(proc.stdout).text()).trim().split("\n").map((l) => JSON.parse(l)) };
    };
    const old = await run(agentOpening(encode({ type: "hello", protocol: PROTOCOL_VERSION - 1, version: "0.0.9" }))!);
    expect(old.code).toBe(3);
    expect(old.lines[1].error.message).toContain("protocol version mismatch");
    expect(JSON.stringify(old.lines[1].error.context)).toContain("0.0.9 (protocol");
    const garbled = await run("not/base64url");
    expect(garbled.code).toBe(2);
    expect(garbled.lines[1].error.message).toContain("is not base64url");
  });

  test("after the last deploy the agent appends the run to the history itself (no history request), not for -P", async () => {
    const history = { time: "2026-12-01T10:00:00.000Z", deployer: "me@here", batou: VERSION, environment: "test", commit: "abc123", dirty: false };
    for (const predicting of [false, true]) {
      const dir = project();
      const { proc, client } = spawnAgent(dir);
      void client.request("lock", { owner: owner() });
      void client.request("setup", { ...setupParams, history });
      await client.request("deploy", { root: "hello", predicting });
      const last = await client.request("deploy", { root: "slow", predicting, last: true });
      expect(await proc.exited).toBe(0);
      const file = join(dir, ".batou/history.jsonl");
      if (predicting) {
        expect(last.recorded).toBe(false);
        expect(existsSync(file)).toBe(false);
        continue;
      }
      expect(last.recorded).toBe(true);
      const lines = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l));
      expect(lines).toEqual([{ ...history, host: "h1", ok: true, changed: ["Hello > File('hello.txt') > Content('hello.txt')", "Slow"] }]); // the components that updated, as the deploying machine's tally counts them
    }
  });

  test("a reader slower than the agent still gets every message: the agent's exit waits until its output is delivered", async () => {
    const dir = project();
    // a first deploy of 400 files: ~0.5 MB of events and diffs, far more than a pipe holds
    writeFileSync(join(dir, "environments/test.toml"), `[environment]\nconnect_method = "local"\n[hosts.h1]\ncomponents = ["many"]\n[components.many]\ncount = 400\n`);
    // the agent's stdout is a pipe that nobody reads until its deploy is done (and, without the wait, its exit too)
    const slowReader = `"$0" ${BATOU} agent | (while [ ! -e done ]; do sleep 0.05; done; sleep 1; cat)`;
    const raw = Bun.spawn(["sh", "-c", slowReader, process.execPath], { cwd: dir, stdin: "pipe", stdout: "pipe", stderr: "ignore" });
    raw.stdin.write(encode({ type: "hello", protocol: PROTOCOL_VERSION, version: VERSION }));
    raw.stdin.write(encode({ type: "request", id: 1, method: "lock", params: { owner: owner() } }));
    raw.stdin.write(encode({ type: "request", id: 2, method: "setup", params: setupParams }));
    raw.stdin.write(encode({ type: "request", id: 3, method: "deploy", params: { root: "many", predicting: false, last: true } }));
    raw.stdin.flush();
    await waitFor(() => existsSync(join(dir, "work/many")) && readdirSync(join(dir, "work/many")).length === 400, 30, "the 400 files");
    writeFileSync(join(dir, "done"), "");
    const lines = (await new Response(raw.stdout).text()).trim().split("\n").map((line) => JSON.parse(line));
    expect(await raw.exited).toBe(0);
    expect(lines.filter((message) => message.type === "event" && message.event.event === "diff")).toHaveLength(400);
    expect(lines.at(-1)).toMatchObject({ type: "result", id: 3, result: { changed: 400 } });
    raw.stdin.end();
  });

  test("a held lock stops the rest: the pipelined manifest and setup are refused, nothing is configured", async () => {
    const dir = project();
    const holder = spawnAgent(dir);
    await holder.client.request("lock", { owner: owner("alice") });
    const { proc, client } = spawnAgent(dir);
    // each answer's message, taken as it comes (no rejection left unhandled meanwhile)
    const message = (request: Promise<unknown>) => request.then(() => "done", (error: Error) => error.message);
    const lock = message(client.request("lock", { owner: owner("bob") }));
    const manifest = message(client.request("manifest", { excludes: PROJECT_EXCLUDES }));
    const setup = message(client.request("setup", setupParams));
    const deploy = message(client.request("deploy", { root: "hello", predicting: false }));
    expect(await lock).toMatch(/locked by another deployment/);
    expect(await manifest).toBe("manifest not done: lock failed before it");
    expect(await setup).toBe("setup not done: lock failed before it");
    expect(await deploy).toBe("setup not done: lock failed before it");
    expect(existsSync(join(dir, "work/hello"))).toBe(false);
    for (const agent of [holder, { proc, client }]) {
      agent.client.end();
      await agent.proc.exited;
    }
  });

  test("another project on the host: the manifest lists it, the setup says stale; a sync makes it ours, then setup configures", async () => {
    const dir = project();
    const local = project(); // what the deploying machine has: one file more, one changed
    writeFileSync(join(local, "components/hello/extra.txt"), "extra\n");
    writeFileSync(join(local, "environments/test.toml"), readFileSync(join(local, "environments/test.toml"), "utf8").replace('greeting = "hello"', 'greeting = "synced"'));
    writeFileSync(join(dir, "stale.txt"), "only on the host\n");
    const ours = manifestEntries(local, PROJECT_EXCLUDES);
    const hash = manifestOf(ours).hash;
    const { proc, client } = spawnAgent(dir);
    const theirs = client.request("manifest", { excludes: PROJECT_EXCLUDES, expect: hash });
    const stale = client.request("setup", { ...setupParams, project: hash });
    const listed = await theirs;
    expect(listed.hash).not.toBe(hash);
    expect(listed.list?.map((e) => e.path)).toContain("stale.txt");
    expect(await stale).toEqual({ stale: true });
    const plan = planSync(ours, listed.list!);
    expect(plan.remove).toEqual(["stale.txt"]);
    const synced = client.request("sync", syncParams(local, plan));
    const setup = client.request("setup", { ...setupParams, project: hash });
    expect(plan.files.map((f) => f.path)).toEqual(expect.arrayContaining(["components/hello/extra.txt", "environments/test.toml"]));
    expect(await synced).toEqual({ written: plan.files.length, removed: 1 });
    expect(await setup).toMatchObject({ configured: 5 });
    expect(projectManifest(dir, PROJECT_EXCLUDES).hash).toBe(hash);
    await client.request("deploy", { root: "hello", predicting: false });
    expect(readFileSync(join(dir, "work/hello/hello.txt"), "utf8")).toBe("synced from h1\n");
    client.end();
    await proc.exited;
  });
});

test("requests and agent messages are checked at the boundary", () => {
  const owner = { user: "u", machine: "m", pid: 1, time: "t", version: "v", environment: "e" };
  expect(parseRequest({ type: "request", id: 7, method: "lock", params: { owner } })).toEqual({ type: "request", id: 7, method: "lock", params: { owner } });
  expect(() => parseRequest({ type: "request", id: 0, method: "lock", params: { owner } })).toThrow("malformed request: id must be a positive integer");
  expect(() => parseRequest({ type: "request", id: 1, method: "lock", params: { owner: { ...owner, pid: "1" } } })).toThrow("malformed lock request: params.owner.pid must be a number");
  expect(() => parseRequest({ type: "request", id: 1, method: "setup", params: { environment: "e", host: "h", scope: ["a", 3] } })).toThrow("params.scope[1] must be a string");
  expect(() => parseRequest({ type: "request", id: 1, method: "toString", params: {} })).toThrow('unknown method "toString"');
  expect(() => parseRequest(["request"])).toThrow("malformed request: not a request");
  expect(parseAgentMessage({ type: "log", id: 0, line: "x" })).toEqual({ type: "log", id: 0, line: "x" });
  expect(() => parseAgentMessage({ type: "event", id: 1, event: "component" })).toThrow("malformed agent event: message.event must be a table");
  expect(() => parseAgentMessage({ type: "error", id: 1, error: { message: "m" } })).toThrow("message.error.error must be a string");
  expect(() => parseAgentMessage({ type: "shell", line: "rm -rf /" })).toThrow("malformed agent message: unknown type");
});

test("each method's result is checked before its caller sees it", () => {
  expect(parseResult("deploy", { changed: 2 })).toEqual({ changed: 2 });
  expect(parseResult("setup", { roots: ["h1/app"], configured: 1, rounds: 1, seconds: 0.1 })).toEqual({ roots: ["h1/app"], configured: 1, rounds: 1, seconds: 0.1 });
  expect(() => parseResult("deploy", { changed: "2" })).toThrow("malformed deploy result: result.changed must be a number");
  expect(() => parseResult("setup", { roots: "h1/app", configured: 1, rounds: 1, seconds: 0 })).toThrow("malformed setup result: result.roots must be a list");
  expect(() => parseResult("lock", null)).toThrow("malformed lock result: result must be a table");
  expect(() => parseResult("manifest", { hash: 1, entries: 3 })).toThrow("result.hash must be a string");
});

test("a result of the wrong shape fails its request, naming the host", async () => {
  const sent: string[] = [];
  const client = new AgentClient("h1", { write: (t) => void sent.push(t), end: () => {} });
  client.push(encode(hello()));
  await client.greeting;
  const deploy = client.request("deploy", { root: "h1/app", predicting: false });
  client.push(encode({ type: "result", id: 1, result: { changed: "many" } }));
  const error = await deploy.then(() => undefined, (e: unknown) => e as BatouError);
  expect(error).toBeInstanceOf(BatouError);
  expect(error!.message).toBe("malformed deploy result: result.changed must be a number");
  expect(error!.context.host).toBe("h1");
});
