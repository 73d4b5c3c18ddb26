/**
 * End to end through the CLI against real sshd test hosts (tests/testbed):
 * cross-host resources, no-op redeploys, one SSH connection per host, a
 * service user through sudo, ProxyJump, host key refusal, unreachable hosts,
 * locks, Ctrl-C, deletion of removed files, and an agent that is the shipped
 * executable (no bun on the host's side).
 *
 * The cases that are not about SSH itself run once per way in: over SSH, and
 * with `connect_method = "exec"` through `nsenter` into the same hosts
 * (exec-helpers.ts), where the environment files get the exec lines.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readlinkSync, statSync, utimesSync, writeFileSync, writeSync, mkdtempSync, cpSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runInHost, type Testbed, startTestbed, testbedAvailability } from "../testbed/testbed.ts";
import { VERSION } from "../../lib/version.ts";
import type { SshClient } from "../../lib/engine/environment-schema.ts";
import { BATOU, deploy, deployEnv, finish, HANDSHAKE_LINE, makeProject, pgrep, type Project, SSH_CLIENTS, sshClientSetting, startDeploy, waitFor } from "./remote-helpers.ts";
import { type ExecTestbed, execTestbed } from "./exec-helpers.ts";

const bed = testbedAvailability();

const CROSS = {
  "components/db/component.ts": `import { Component, File } from "batou";
export class Db extends Component {
  port = 5432;
  configure() {
    this.provide("db", { host: this.host.name, port: this.port });
    this.add(new File("db.conf", { content: "port=" + this.port + "\\n" }));
  }
}
`,
  "components/app/component.ts": `import { Component, File } from "batou";
export class App extends Component {
  configure() {
    const db = this.requireOne<{ host: string; port: number }>("db");
    this.add(new File("app.conf", { content: "db=" + db.host + ":" + db.port + " on " + this.host.name + "\\n" }));
  }
}
`,
  "components/plain/component.ts": `import { Component, File } from "batou";
export class Plain extends Component {
  configure() { this.add(new File("plain.txt", { content: "plain on " + this.host.name + "\\n" })); }
}
`,
  "components/many/component.ts": `import { Component, File } from "batou";
export class Many extends Component {
  count = 10;
  configure() { for (let i = 0; i < this.count; i++) this.add(new File("f" + i + ".txt", { content: "file " + i + "\\n" })); }
}
`,
  "components/slow/component.ts": `import { Component, File, UpdateNeeded } from "batou";
export class Slow extends Component {
  seconds = 1;
  configure() { this.add(new File("before.txt", { content: "written before the sleep\\n".repeat(100) })); }
  async verify() { throw new UpdateNeeded(); }
  async update() { await this.cmd("sleep " + this.seconds); }
}
`,
};

function env(target: string, hosts: Record<string, string[]>, extra = ""): string {
  const lines = ["[environment]", `target_directory = "${target}"`, "jobs = 3", "timeout = 20", extra];
  for (const [host, components] of Object.entries(hosts)) lines.push(`[hosts.${host}]`, `components = ${JSON.stringify(components)}`);
  return lines.join("\n") + "\n";
}

/** A way into the test bed's hosts (SSH with each client, or exec), and the debug line that shows a host was connected to (once per run). */
interface Way {
  name: "ssh" | "exec";
  /** For SSH: the client. */
  client?: SshClient;
  label: string;
  connected: (host: string) => string;
}
const WAYS: Way[] = [
  ...SSH_CLIENTS.map((client): Way => ({ name: "ssh", client, label: `ssh (${client})`, connected: (host) => `${host}: ${HANDSHAKE_LINE[client]}` })),
  { name: "exec", label: "exec", connected: (host) => `${host}: exec: entered as` },
];

describe.each(bed.ok ? WAYS : [])("deploying with connect_method $label", (way) => {
  /** Unique per test process and way: every way deploys in one process. */
  const run = `${way.client ?? way.name}-${process.pid}`;
  let tb: Testbed;
  let exec: ExecTestbed | undefined;
  const projects: Project[] = [];
  const home = (host: string, path: string) => join(tb.roots[host]!, "home", path);
  /** Every environment of the project reaches its hosts this way: through nsenter (exec), or with the SSH client. */
  const reached = (files: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(files).map(([path, text]) => [
        path,
        path.startsWith("environments/") ? text.replace("[environment]\n", `[environment]\n${exec ? exec.toml : `${sshClientSetting(way.client!)}\n`}`) : text,
      ]),
    );
  const project = (files: Record<string, string>, ssh = "") => {
    const p = makeProject(tb, { ...CROSS, ...reached(files) }, ssh);
    projects.push(p);
    return p;
  };
  /** Waits until no agent runs in the target directory any more (they end by themselves after the last deploy). */
  const agentsGone = (target: string) => waitFor(() => pgrep(`batou-${VERSION} agent`, `/home/deploy/${target}`).length === 0, 10, "the agents to end");
  /** Cases about SSH itself (its config, keys, sshd): with each SSH client. */
  const sshOnly = way.name === "ssh" ? test : test.skip;
  /** Cases the way in does not change (the shipped executable): run once. */
  const once = way === WAYS[0] ? test : test.skip;

  beforeAll(async () => {
    tb = await startTestbed(3);
    if (way.name === "exec") exec = execTestbed(tb);
  }, 60_000);
  afterAll(() => {
    for (const p of projects) p.remove();
    exec?.cleanup();
    // the target directories this way deployed to (each holds a shipped executable)
    for (const host of tb.hosts) {
      for (const user of [tb.user, tb.serviceUser]) {
        const dir = join(tb.roots[host]!, "home", user);
        if (existsSync(dir)) for (const name of readdirSync(dir)) if (name.endsWith(`-${run}`)) rmSync(join(dir, name), { recursive: true, force: true });
      }
    }
  });

  test("three hosts with a cross-host resource; a no-op redeploy changes nothing over one connection per host", async () => {
    const target = `t-cross-${run}`;
    const p = project({ "environments/cross.toml": env(target, { host1: ["db"], host2: ["app"], host3: ["app"] }), "components/app/extra.txt": "extra\n" });
    const first = await deploy(p, "cross");
    expect(first.errors).toEqual([]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.summary?.ok).toBe(true);
    for (const host of ["host2", "host3"]) {
      expect(readFileSync(home(host, `deploy/${target}/work/app/app.conf`), "utf8")).toBe(`db=host1:5432 on ${host}\n`);
    }
    expect(readFileSync(home("host1", `deploy/${target}/work/db/db.conf`), "utf8")).toBe("port=5432\n");
    // providers deploy before requirers
    const starts = first.events.filter((e) => e.event === "root" && e.status === "start").map((e) => `${e.host}/${e.root}`);
    expect(starts[0]).toBe("host1/db");
    // shipped: the executable and the project, no secrets, no local work/
    expect(existsSync(home("host1", `deploy/${target}/.batou/batou-${VERSION}`))).toBe(true);
    expect(existsSync(home("host2", `deploy/${target}/components/app/extra.txt`))).toBe(true);
    expect(existsSync(home("host1", `deploy/${target}/.batou-lock`))).toBe(false);

    const again = await deploy(p, "cross", ["-d"]);
    expect(again.code).toBe(0);
    expect(again.summary?.changed).toBe(0);
    // one connection per host serves everything (probe, rsync, agent)
    for (const host of ["host1", "host2", "host3"]) {
      expect(again.stdout.split("\n").filter((l) => l.includes(way.connected(host))).length).toBe(1);
    }
    expect(again.stdout).not.toContain("shipped-executable");
    // the hosts already have this project: no rsync; each agent configured its roots and their providers only
    const details = (status: string, run: typeof again) =>
      Object.fromEntries(run.events.filter((e) => e.event === "host" && e.status === status).map((e) => [e.host, String(e.detail)]));
    for (const detail of Object.values(details("shipped", again))) expect(detail).toContain("up to date (");
    for (const detail of Object.values(details("shipped", again))) expect(detail).toContain("nothing shipped");
    // the first deploy shipped the (small) project in the agent's channel, no rsync
    for (const detail of Object.values(details("shipped", first))) expect(detail).toContain("B sent in the agent's channel");
    expect(details("configured", again).host1).toContain("1 root(s) here, 1 configured");
    expect(details("configured", again).host2).toContain("1 root(s) here, 2 configured");

    // the first deploy streamed the executable into the empty .batou/ of each host
    // (zstd-compressed when the host has zstd, as the test bed's hosts do where this machine has it)
    const packed = Bun.which("zstd") ? "(streamed, zstd)" : "(streamed)";
    for (const detail of Object.values(details("shipped-executable", first))) expect(detail).toContain(packed);
    // an executable that is not the expected one is replaced by an rsync delta against it
    const exe = home("host1", `deploy/${target}/.batou/batou-${VERSION}`);
    const size = statSync(exe).size;
    await agentsGone(target); // after its last deploy an agent ends by itself, moments after batou did
    writeFileSync(exe, "damaged", { flag: "a" });
    const mended = await deploy(p, "cross");
    expect(mended.code).toBe(0);
    expect(details("shipped-executable", mended).host1).toContain("(rsync delta)");
    expect(Object.keys(details("shipped-executable", mended))).toEqual(["host1"]);
    const sent = Number(/, (\d+) B sent/.exec(details("shipped-executable", mended).host1!)![1]);
    expect(sent).toBeLessThan(size / 10);
    expect(statSync(exe).size).toBe(size);

    // a project file changed on a host is put back before anything is configured: the fingerprints
    // differ, so the setup sent with the launch is refused as stale (the host's copy is never loaded)
    // and the project is shipped first
    const shipped = home("host3", `deploy/${target}/components/app/component.ts`);
    writeFileSync(shipped, 'export class App { configure() { throw new Error("configured the tampered copy"); } }\n');
    const repaired = await deploy(p, "cross");
    expect(repaired.errors).toEqual([]);
    expect(repaired.stdout + repaired.stderr).not.toContain("tampered copy");
    expect(repaired.code).toBe(0);
    expect(details("shipped", repaired).host3).toContain("1 file(s) changed");
    expect(details("shipped", repaired).host1).toContain("nothing shipped");
    expect(readFileSync(shipped, "utf8")).toBe(CROSS["components/app/component.ts"]);

    // files removed from the project disappear from the hosts
    rmSync(join(p.dir, "components/app/extra.txt"));
    const third = await deploy(p, "cross");
    expect(third.code).toBe(0);
    expect(existsSync(home("host2", `deploy/${target}/components/app/extra.txt`))).toBe(false);
    expect(existsSync(home("host2", `deploy/${target}/work/app/app.conf`))).toBe(true);

    // a big change goes with rsync (deltas), and the result is the same project
    const big = join(p.dir, "components/app/big.bin");
    writeFileSync(big, Buffer.alloc(5 << 20, 7));
    const large = await deploy(p, "cross");
    expect(large.code).toBe(0);
    expect(details("shipped", large).host2).toMatch(/\d+ file\(s\) changed, \d+ B sent$/);
    expect(readFileSync(home("host2", `deploy/${target}/components/app/big.bin`)).equals(readFileSync(big))).toBe(true);
    expect(details("shipped", await deploy(p, "cross")).host2).toContain("nothing shipped");
  }, 120_000);

  test("a service user through sudo", async () => {
    const target = `t-svc-${run}`;
    const p = project({ "environments/svc.toml": env(target, { host1: ["plain"] }, 'service_user = "service"') });
    const result = await deploy(p, "svc");
    expect(result.errors).toEqual([]);
    expect(result.code).toBe(0);
    const file = home("host1", `service/${target}/work/plain/plain.txt`);
    expect(readFileSync(file, "utf8")).toBe("plain on host1\n");
    expect(statSync(file).uid).toBe(2001);
    expect(statSync(home("host1", `service/${target}/environments/svc.toml`)).uid).toBe(2001);
    expect((await deploy(p, "svc")).summary?.changed).toBe(0);
  }, 60_000);

  sshOnly("a sudo that wants a password is a clear error naming host and user", async () => {
    const target = `t-nosudo-${run}`;
    const ssh = "Host asservice\n  HostName 10.231.0.1\n  HostKeyAlias host1\n  User service\n";
    const p = project({ "environments/nosudo.toml": env(target, { asservice: ["plain"] }, 'service_user = "deploy"') }, ssh);
    const result = await deploy(p, "nosudo");
    expect(result.code).toBe(1);
    const error = result.errors[0]!;
    expect(error.message).toContain('cannot become the service user "deploy" on host asservice');
    expect(error.context["login user"]).toBe("service");
    expect(String(error.context.sudo)).toContain("password");
  }, 60_000);

  sshOnly("ssh_config_ENV in the project root wins over ssh_config for environment ENV (as batou)", async () => {
    const target = `t-envconfig-${run}`;
    // in ssh_config the alias leads nowhere; in ssh_config_envconfig it is host1
    const p = project(
      {
        "environments/envconfig.toml": env(target, { viaenv: ["plain"] }),
        ssh_config_envconfig: `Host viaenv\n  HostName 10.231.0.1\n  HostKeyAlias host1\n\n${readFileSync(tb.sshConfig, "utf8")}`,
      },
      "Host viaenv\n  HostName 10.231.0.254\n  Port 9\n  HostKeyAlias host1\n",
    );
    const result = await deploy(p, "envconfig");
    expect(result.errors).toEqual([]);
    expect(result.code).toBe(0);
    expect(readFileSync(home("host1", `deploy/${target}/work/plain/plain.txt`), "utf8")).toBe("plain on viaenv\n");
  }, 60_000);

  sshOnly("ProxyJump through host1 to host3", async () => {
    const target = `t-jump-${run}`;
    const ssh = "Host jumped3\n  HostName host3\n  HostKeyAlias host3\n  ProxyJump host1\n";
    const p = project({ "environments/jump.toml": env(target, { jumped3: ["plain"] }) }, ssh);
    const result = await deploy(p, "jump", ["-d"]);
    expect(result.errors).toEqual([]);
    expect(result.code).toBe(0);
    expect(readFileSync(home("host3", `deploy/${target}/work/plain/plain.txt`), "utf8")).toBe("plain on jumped3\n");
    // (host3 has no address outside the test network: only the jump host reaches it)
    if (way.client === "ssh2") expect(result.stdout).toContain("jump host1");
  }, 60_000);

  sshOnly("a changed host key is refused; so is an unknown one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "batou-kh-"));
    const other = Bun.spawnSync(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", join(dir, "k")]);
    expect(other.exitCode).toBe(0);
    writeFileSync(join(dir, "changed"), `host1 ${readFileSync(join(dir, "k.pub"), "utf8").split(" ").slice(0, 2).join(" ")}\n`);
    writeFileSync(join(dir, "empty"), "");
    const ssh = [
      `Host changed1\n  HostName 10.231.0.1\n  HostKeyAlias host1\n  UserKnownHostsFile ${join(dir, "changed")}\n`,
      `Host unknown1\n  HostName 10.231.0.1\n  HostKeyAlias host1\n  UserKnownHostsFile ${join(dir, "empty")}\n`,
    ].join("");
    const p = project({ "environments/changed.toml": env("t-changed", { changed1: ["plain"] }), "environments/unknown.toml": env("t-unknown", { unknown1: ["plain"] }) }, ssh);
    const changed = await deploy(p, "changed");
    expect(changed.code).toBe(1);
    expect(changed.errors[0]!.message).toMatch(/changed1.*host key/i);
    expect(changed.errors[0]!.message).toMatch(/changed|mismatch|does not match/i);
    const unknown = await deploy(p, "unknown");
    expect(unknown.code).toBe(1);
    expect(unknown.errors[0]!.message).toMatch(/unknown1.*host key/i);
    expect(existsSync(home("host1", "deploy/t-changed"))).toBe(false);
    expect(existsSync(home("host1", "deploy/t-unknown"))).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  sshOnly("an unreachable host is named after its retries", async () => {
    const ssh = "Host gone\n  HostName 10.231.0.254\n  Port 9\n  HostKeyAlias host1\n";
    const p = project({ "environments/gone.toml": env(`t-gone-${run}`, { host1: ["db"], gone: ["app"] }) }, ssh);
    const began = performance.now();
    const result = await deploy(p, "gone");
    expect(result.code).toBe(1);
    const error = result.errors[0]!;
    expect(error.message).toContain("host gone is unreachable after 3 attempt(s)");
    expect(error.context.host).toBe("gone");
    expect(error.context.hint).toBe('set ignore = true for host "gone" in the environment, or deploy the others with --exclude-hosts gone');
    expect(result.events.filter((e) => e.event === "warning" && e.host === "gone").length).toBe(2);
    expect(performance.now() - began).toBeLessThan(20_000);
    // as the hint says: the others deploy, the model is still checked with gone's components
    const without = await deploy(p, "gone", ["--exclude-hosts", "gone"]);
    expect(without.errors).toEqual([]);
    expect(without.code).toBe(0);
    expect(without.events.filter((e) => e.event === "root" && e.host === "gone").map((e) => e.status)).toEqual(["skip-excluded"]);
    expect(existsSync(home("host1", `deploy/t-gone-${run}/work/db/db.conf`))).toBe(true);
  }, 60_000);

  test("a concurrent second deployment is refused at once, naming the holder", async () => {
    const target = `t-lock-${run}`;
    const p = project({ "environments/lock.toml": env(target, { host1: ["slow"] }) + "[components.slow]\nseconds = 8.3\n" });
    const running = startDeploy(p, "lock");
    let exited = false;
    void running.exited.then(() => (exited = true));
    await waitFor(() => exited || existsSync(home("host1", `deploy/${target}/.batou-lock`)), 30, "the remote lock");
    if (exited) throw new Error(`the first deployment ended early: ${JSON.stringify((await finish(running)).errors)}`);
    // same project: the local per-environment lock
    const local = await deploy(p, "lock");
    expect(local.code).toBe(1);
    expect(local.errors[0]!.message).toBe('environment "lock" is locked by another deployment');
    expect(local.errors[0]!.context["held by"]).toContain(`pid ${running.pid}`);
    // another checkout of the project, same host and target: the remote lock
    const copy = makeProject(tb, {});
    projects.push(copy);
    cpSync(p.dir, copy.dir, { recursive: true, filter: (src) => !src.includes("/work") });
    // (the copy differs, so it would ship its project if the requests sent behind the lock were done)
    writeFileSync(join(copy.dir, "components/slow/only-in-copy.txt"), "copy\n");
    const remote = await deploy(copy, "lock");
    expect(remote.code).toBe(1);
    expect(remote.errors[0]!.message).toContain("is locked by another deployment");
    expect(remote.errors[0]!.context.host).toBe("host1");
    expect(remote.errors[0]!.context["held by"]).toContain(`pid ${running.pid}`);
    // the held lock stopped the rest cleanly: one error, nothing shipped, configured or deployed
    expect(remote.errors).toHaveLength(1);
    expect(remote.stdout + remote.stderr).not.toContain("not done");
    expect(remote.events.filter((e) => e.event === "root" || (e.event === "host" && ["shipped", "configured"].includes(String(e.status))))).toEqual([]);
    expect(existsSync(home("host1", `deploy/${target}/components/slow/only-in-copy.txt`))).toBe(false);
    expect(exited).toBe(false); // refused while the holder still runs, not after waiting for it
    const first = await finish(running);
    expect(first.code).toBe(0);
    expect(existsSync(home("host1", `deploy/${target}/.batou-lock`))).toBe(false);
    expect(existsSync(join(p.dir, "work/.batou-lock-lock"))).toBe(false);
  }, 60_000);

  test.each([["deploy", ""], ["service", 'service_user = "service"']])("Ctrl-C stops the remote agent and its commands and releases the locks (agent as %s)", async (user, extra) => {
    const target = `t-int-${user}-${run}`; // fresh for each way: what it writes is a change
    const cwd = `/home/${user}/${target}`;
    // a duration of its own: other test beds on this machine run the same test (no PID namespaces)
    const seconds = `41.${process.pid}${user.length}`;
    const p = project({ "environments/int.toml": env(target, { host1: ["slow"] }, extra) + `[components.slow]\nseconds = ${seconds}\n` });
    const running = startDeploy(p, "int");
    let exited = false;
    void running.exited.then(() => (exited = true));
    await waitFor(() => exited || pgrep(`sleep ${seconds}`).length > 0, 30, "the remote sleep");
    if (exited) throw new Error(`the deployment ended early: ${JSON.stringify((await finish(running)).errors)}`);
    // the agent is the shipped executable, not bun
    const agents = pgrep(`batou-${VERSION} agent`, cwd);
    expect(agents.length).toBe(1);
    expect(readlinkSync(`/proc/${agents[0]}/exe`)).toMatch(new RegExp(`\\.batou/batou-${VERSION.replace(/\./g, "\\.")}$`));
    const cmdline = readFileSync(`/proc/${agents[0]}/cmdline`, "utf8");
    expect(cmdline).not.toContain("bun");
    running.kill("SIGINT");
    const result = await finish(running);
    expect(result.code).toBe(130);
    expect(result.errors[0]!.message).toContain("interrupted");
    expect(result.errors.length).toBe(1); // what failed because of the interrupt is not reported as a failure
    expect(result.errors[0]!.context["stopped halfway"]).toBe("host1/slow");
    // what the agent wrote before the interrupt is counted (the summary said "changed": 0)
    expect(result.errors[0]!.context["changed hosts"]).toBe("host1");
    expect(result.events.at(-1)).toMatchObject({ event: "summary", ok: false, changed: 1 });
    await waitFor(() => pgrep(`batou-${VERSION} agent`, cwd).length === 0 && pgrep(`sleep ${seconds}`).length === 0, 5, "the agent to exit");
    expect(existsSync(home("host1", `${user}/${target}/.batou-lock`))).toBe(false);
    expect(existsSync(join(p.dir, "work/.batou-lock-int"))).toBe(false);
    const work = home("host1", `${user}/${target}/work/slow`);
    expect(readdirSync(work)).toEqual(["before.txt"]);
    expect(readFileSync(join(work, "before.txt"), "utf8")).toBe("written before the sleep\n".repeat(100));
  }, 60_000);

  sshOnly("Ctrl-C during a large tree of files: the agents stop before their next file, release their locks; the message names what was left undone", async () => {
    const target = `t-many-${run}`;
    const count = 60_000;
    const p = project({ "environments/many.toml": env(target, { host1: ["many"], host2: ["many", "plain"] }) + `[components.many]\ncount = ${count}\n` });
    const running = startDeploy(p, "many", ["-j", "2"]);
    let exited = false;
    void running.exited.then(() => (exited = true));
    const work = (host: string) => home(host, `deploy/${target}/work/many`);
    const written = (host: string) => (existsSync(work(host)) ? readdirSync(work(host)).filter((f) => f.endsWith(".txt")).length : 0);
    await waitFor(() => exited || (written("host1") > 500 && written("host2") > 500), 60, "files on both hosts");
    if (exited) throw new Error(`the deployment ended early: ${JSON.stringify((await finish(running)).errors)}`);
    running.kill("SIGINT");
    const result = await finish(running);
    expect(result.code).toBe(130);
    const quiet = () => ["host1", "host2"].every((h) => !existsSync(home(h, `deploy/${target}/.batou-lock`))) && pgrep(`batou-${VERSION} agent`, `/home/deploy/${target}`).length === 0;
    await waitFor(quiet, 5, "the agents to stop and release their locks");
    const after = [written("host1"), written("host2")];
    await Bun.sleep(500); // a negative check needs a window: nothing more is written
    expect([written("host1"), written("host2")]).toEqual(after);
    for (const n of after) expect(n).toBeLessThan(count);
    for (const host of ["host1", "host2"]) {
      for (const name of readdirSync(work(host))) expect(name).toMatch(/^f\d+\.txt$/); // no half-written temporaries
    }
    const context = result.errors[0]!.context;
    expect(String(context["stopped halfway"]).split(", ").sort()).toEqual(["host1/many", "host2/many"]);
    expect(context["not started"]).toBe("host2/plain");
    // the locks are free: the next deploy is not refused
    const again = await deploy(p, "many", ["-c"]);
    expect(again.code).toBe(0);
  }, 120_000);

  test("Ctrl-C at a terminal (SIGINT to batou's whole process group, a ProxyCommand's too): exit 130, the hosts stop and release their locks", async () => {
    const target = `t-termint-${run}`;
    const p = project({ "environments/termint.toml": env(target, { host1: ["many"] }) + "[components.many]\ncount = 20000\n" });
    // setsid: batou leads a process group of its own, as in a terminal's foreground job
    const running = Bun.spawn(["setsid", "-w", process.execPath, BATOU, "deploy", "termint", "--json"], { cwd: p.dir, env: deployEnv(), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    let exited = false;
    void running.exited.then(() => (exited = true));
    const work = home("host1", `deploy/${target}/work/many`);
    await waitFor(() => exited || (existsSync(work) && readdirSync(work).length > 200), 60, "files on host1");
    if (exited) throw new Error(`the deployment ended early: ${JSON.stringify((await finish(running)).errors)}`);
    const [batou] = pgrep(`${BATOU} deploy termint`, p.dir).filter((pid) => readFileSync(`/proc/${pid}/comm`, "utf8").trim() !== "setsid");
    const group = Number(readFileSync(`/proc/${batou}/stat`, "utf8").split(") ")[1]!.split(" ")[2]);
    expect(group).toBe(batou!);
    process.kill(-group, "SIGINT");
    const result = await finish(running);
    expect(result.code).toBe(130);
    expect(result.errors.map((e) => e.message)).toEqual(["interrupted (SIGINT): stopping the remote agents and releasing the locks"]);
    expect(result.events.at(-1)).toMatchObject({ event: "summary", ok: false });
    await waitFor(() => !existsSync(home("host1", `deploy/${target}/.batou-lock`)) && pgrep(`batou-${VERSION} agent`, `/home/deploy/${target}`).length === 0, 5, "the agent to stop and release its lock");
    expect(result.events.at(-1)!.changed).toBe(readdirSync(work).length);
  }, 120_000);

  test("Ctrl-C while rsync ships the project: exit 130, nothing left in TMPDIR (rsh bridge, ControlPath), no ssh or rsync left running", async () => {
    const target = `t-intrsync-${run}`;
    const tmp = mkdtempSync(join(tmpdir(), "batou-inttmp-"));
    try {
      const p = project({ "environments/intrsync.toml": env(target, { host1: ["plain"] }) });
      // big enough to be shipped by rsync, and to take a moment
      writeFileSync(join(p.dir, "components/plain/blob.bin"), crypto.getRandomValues(new Uint8Array(1 << 16)).join(",").repeat(64));
      const running = startDeploy(p, "intrsync", [], { TMPDIR: tmp });
      let exited = false;
      void running.exited.then(() => (exited = true));
      const mine = () => pgrep(`^rsync .*${p.dir}`);
      await waitFor(() => exited || mine().length > 0, 60, "the project rsync");
      if (exited) throw new Error(`the deployment ended before rsync ran: ${JSON.stringify((await finish(running)).errors)}`);
      // while rsync runs, its way to the host lives in TMPDIR: the rsh bridge's socket folder (ssh2, exec) or the ControlPath folder (openssh)
      expect(readdirSync(tmp).some((name) => name.startsWith(way.client === "openssh" ? "batou-ssh-" : "batou-rsh-"))).toBe(true);
      running.kill("SIGINT");
      const result = await finish(running);
      expect(result.code).toBe(130);
      expect(result.errors[0]!.message).toContain("interrupted");
      expect(readdirSync(tmp)).toEqual([]);
      await waitFor(() => mine().length === 0 && pgrep(tmp).length === 0, 5, "rsync and ssh to end");
      await waitFor(() => !existsSync(home("host1", `deploy/${target}/.batou-lock`)), 5, "the remote lock to be released");
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 120_000);

  /** Starts a deploy whose update sleeps `seconds` on host1; resolves with it and the agent's pid once the sleep runs. */
  async function sleeping(name: string) {
    const target = `t-${name}-${run}`;
    const seconds = `43.${process.pid}${name.length}`;
    const p = project({ [`environments/${name}.toml`]: env(target, { host1: ["slow"] }) + `[components.slow]\nseconds = ${seconds}\n` });
    const running = startDeploy(p, name);
    let exited = false;
    void running.exited.then(() => (exited = true));
    await waitFor(() => exited || pgrep(`sleep ${seconds}`).length > 0, 30, "the remote sleep");
    if (exited) throw new Error(`the deployment ended early: ${JSON.stringify((await finish(running)).errors)}`);
    const [agent] = pgrep(`batou-${VERSION} agent`, `/home/deploy/${target}`);
    return { running, agent: agent!, seconds, target };
  }

  sshOnly("a killed agent is reported as killed, with its signal", async () => {
    const { running, agent, seconds } = await sleeping("killed");
    process.kill(agent, "SIGKILL");
    const result = await finish(running);
    expect(result.code).toBe(1);
    // OpenSSH's client does not pass on exit signals: it can only say that there was no status
    expect(result.errors[0]!.message).toBe(
      way.client === "openssh"
        ? "the batou agent on host1 ended without an exit status (OpenSSH does not pass on exit signals; killed?) during deploy"
        : "the batou agent on host1 was killed by signal SIGKILL during deploy",
    );
    Bun.spawnSync(["pkill", "-f", `sleep ${seconds}`]);
  }, 60_000);

  sshOnly("a host whose sshd stops answering during a deploy is noticed within seconds, not minutes", async () => {
    const { running, agent, seconds, target } = await sleeping("lost");
    // the agent's parent is the sshd process serving this connection: freeze it (no packets, no FIN)
    const sshd = Number(readFileSync(`/proc/${agent}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);
    expect(readFileSync(`/proc/${sshd}/cmdline`, "utf8")).toStartWith("sshd");
    process.kill(sshd, "SIGSTOP");
    const began = performance.now();
    try {
      const result = await finish(running);
      const took = (performance.now() - began) / 1000;
      console.log(`lost sshd noticed after ${took.toFixed(2)} s`);
      expect(result.code).toBe(1);
      expect(result.errors[0]!.message).toMatch(/^the batou agent on host1 lost its connection during deploy/);
      // keepalives of 1 s x 4: about 5 s (15 s x 4 took 15 s to a minute); the bound leaves room for a loaded machine, the sleep alone would take 43 s
      expect(took).toBeLessThan(10);
    } finally {
      process.kill(sshd, "SIGCONT");
    }
    // the connection is gone: the agent sees EOF once sshd runs again, stops and releases its lock
    await waitFor(() => pgrep(`batou-${VERSION} agent`, `/home/deploy/${target}`).length === 0 && pgrep(`sleep ${seconds}`).length === 0, 10, "the agent to exit");
    expect(existsSync(home("host1", `deploy/${target}/.batou-lock`))).toBe(false);
  }, 90_000);

  once("a damaged executable on a host (size and mtime as in its sidecar) is shipped again", async () => {
    const target = `t-damaged-${run}`;
    const p = project({ "environments/damaged.toml": env(target, { host1: ["plain"] }) });
    expect((await deploy(p, "damaged")).code).toBe(0);
    const exe = home("host1", `deploy/${target}/.batou/batou-${VERSION}`);
    const before = statSync(exe);
    await agentsGone(target);
    const fd = openSync(exe, "r+");
    writeSync(fd, Buffer.alloc(4096), 0, 4096, 0); // no ELF header any more: it cannot start
    closeSync(fd);
    utimesSync(exe, before.atime, before.mtime);
    const result = await deploy(p, "damaged");
    expect(result.errors).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.events.some((e) => e.event === "warning" && String(e.message).startsWith("the batou executable on host host1 is damaged"))).toBe(true);
    expect(String(result.events.find((e) => e.event === "host" && e.status === "shipped-executable")?.detail)).toContain("(rsync delta)");
    expect(readFileSync(exe).subarray(0, 4).toString("latin1")).toBe("\x7fELF");
  }, 120_000);

  once("two first deploys to one fresh target at once: no shared part file, one whole executable, the loser refused by the lock or run after", async () => {
    const target = `t-twofresh-${run}`;
    const p = project({ "environments/fresh.toml": env(target, { host1: ["plain"] }) });
    const copy = makeProject(tb, {}); // another checkout of the project
    projects.push(copy);
    cpSync(p.dir, copy.dir, { recursive: true, filter: (src) => !src.includes("/work") });
    const results = await Promise.all([deploy(p, "fresh"), deploy(copy, "fresh")]);
    for (const result of results) {
      if (result.code !== 0) {
        expect(result.code).toBe(1);
        expect(result.errors.map((e) => e.message)).toEqual([expect.stringContaining("is locked by another deployment")]);
      }
      expect(JSON.stringify(result.errors)).not.toMatch(/Text file busy|ETXTBSY|\.part/);
    }
    expect(results.some((r) => r.code === 0)).toBe(true);
    // both shipped into part files of their own; what is left is one executable and its sidecar
    const dir = home("host1", `deploy/${target}/.batou`);
    expect(readdirSync(dir).filter((name) => name.startsWith(`batou-${VERSION}`) || name.includes(".part")).sort()).toEqual([`batou-${VERSION}`, `batou-${VERSION}.sha256`]);
    const again = await deploy(p, "fresh");
    expect(again.code).toBe(0);
    expect(again.events.some((e) => e.event === "host" && e.status === "shipped-executable")).toBe(false); // it is whole: nothing to mend
  }, 180_000);

  once("a full disk on the host while the executable is shipped: a clear error naming the host, no part file left behind", async () => {
    const target = `t-full-${run}`;
    const batouDir = `/home/deploy/${target}/.batou`;
    // the executable's folder is a 16 MB tmpfs inside host1 (its mount namespace): far too small for it
    expect(runInHost("host1", "sh", "-c", `mkdir -p ${batouDir} && mount -t tmpfs -o size=16m,uid=2000,gid=2000,mode=0755 tmpfs ${batouDir}`).code).toBe(0);
    try {
      const p = project({ "environments/full.toml": env(target, { host1: ["plain"] }) });
      const result = await deploy(p, "full");
      expect(result.code).toBe(1);
      expect(result.errors[0]!.context.host).toBe("host1");
      expect(result.errors[0]!.message).toStartWith("shipping batou failed on host host1: ");
      expect(result.errors[0]!.message).toContain("No space left on device");
      const left = runInHost("host1", "ls", "-A", batouDir);
      expect(left.code).toBe(0);
      expect(left.stdout).toBe(""); // neither a .part nor a partial executable
      expect(runInHost("host1", "df", "--output=used", "-B1", batouDir).stdout.trim().split("\n").at(-1)!.trim()).toBe("0");
      expect(existsSync(home("host1", `deploy/${target}/.batou-lock`))).toBe(false);
    } finally {
      runInHost("host1", "umount", batouDir);
    }
  }, 120_000);

  once("an executable planted in the build cache (same size and mtime as the recorded build) is refused, never shipped", async () => {
    const { executableName, shippableExecutable } = await import("../../lib/remote/ship/host-executable.ts");
    const build = (await shippableExecutable(process.arch === "arm64" ? "arm64" : "x64")).dir; // the build this source ships
    const cache = mkdtempSync(join(tmpdir(), "batou-cache-"));
    try {
      const copy = join(cache, "batou/build", build.split("/").pop()!);
      cpSync(build, copy, { recursive: true, preserveTimestamps: true });
      const exe = join(copy, executableName());
      const genuine = statSync(exe);
      const fd = openSync(exe, "r+");
      const script = Buffer.from("#!/bin/sh\necho planted\n");
      writeSync(fd, script, 0, script.length, 0);
      closeSync(fd);
      utimesSync(exe, genuine.atime, genuine.mtime);
      const target = `t-planted-${run}`;
      const p = project({ "environments/planted.toml": env(target, { host1: ["plain"] }) });
      const result = await deploy(p, "planted", [], { XDG_CACHE_HOME: cache });
      expect(result.code).toBe(1);
      expect(result.errors[0]!.message).toBe("the batou executable to ship does not have the sha256 it must have: refusing to ship it");
      expect(result.errors[0]!.context.file).toBe(exe);
      expect(existsSync(home("host1", `deploy/${target}/.batou/${executableName()}`))).toBe(false);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  }, 120_000);
});
