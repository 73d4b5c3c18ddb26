/**
 * Deploying with `connect_method = "exec"` through the CLI, beyond the cases
 * ssh-deploy.test.ts runs for every way in: a Ctrl-C at a terminal (SIGINT to
 * batou's whole process group; that the exec commands are not in it is
 * exec-transport.test.ts's), a host without rsync (the executable and the
 * project go as streams), and a host the exec command cannot enter.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { shippableExecutable } from "../../lib/remote/ship/host-executable.ts";
import { VERSION } from "../../lib/version.ts";
import { startTestbed, type Testbed, testbedAvailability } from "../testbed/testbed.ts";
import { type ExecTestbed, execTestbed, WITHOUT_RSYNC } from "./exec-helpers.ts";
import { BATOU, deploy, deployEnv, finish, makeProject, pgrep, type Project, waitFor } from "./remote-helpers.ts";

const bed = testbedAvailability();

const COMPONENTS = {
  "components/plain/component.ts": `import { Component, File } from "batou";
export class Plain extends Component {
  configure() { this.add(new File("plain.txt", { content: "plain on " + this.host.name + "\\n" })); }
}
`,
  "components/slow/component.ts": `import { Component, File, UpdateNeeded } from "batou";
export class Slow extends Component {
  seconds = 1;
  configure() { this.add(new File("before.txt", { content: "written before the sleep\\n" })); }
  async verify() { throw new UpdateNeeded(); }
  async update() { await this.cmd("sleep " + this.seconds); }
}
`,
};

function env(target: string, way: ExecTestbed, hosts: Record<string, string[]>, extra = ""): string {
  const lines = ["[environment]", way.toml, `target_directory = "${target}"`, "timeout = 20", extra];
  for (const [host, components] of Object.entries(hosts)) lines.push(`[hosts.${host}]`, `components = ${JSON.stringify(components)}`);
  return lines.join("\n") + "\n";
}

describe.skipIf(!bed.ok)("deploying through an exec command", () => {
  let tb: Testbed;
  let exec: ExecTestbed;
  let bare: ExecTestbed;
  const projects: Project[] = [];
  const home = (host: string, path: string) => join(tb.roots[host]!, "home", path);
  const project = (files: Record<string, string>) => {
    const p = makeProject(tb, { ...COMPONENTS, ...files });
    projects.push(p);
    return p;
  };

  beforeAll(async () => {
    tb = await startTestbed(3);
    exec = execTestbed(tb);
    bare = execTestbed(tb, { inner: WITHOUT_RSYNC });
    // the executable to ship, built now (minutes on a loaded machine), not inside a test's wait for its remote sleep
    await shippableExecutable(process.arch === "arm64" ? "arm64" : "x64");
  }, 600_000);
  afterAll(() => {
    for (const p of projects) p.remove();
    exec.cleanup();
    bare.cleanup();
  });

  test("Ctrl-C at a terminal (SIGINT to the whole process group) stops the agent through batou and releases the locks", async () => {
    const target = `t-tty-${process.pid}`;
    // a float in TOML: a pid ending in 0 would print without it (44.9140 runs as "sleep 44.914"), so the pattern would never match
    const seconds = `44.${process.pid}1`;
    const p = project({ "environments/tty.toml": env(target, exec, { host1: ["slow"] }) + `[components.slow]\nseconds = ${seconds}\n` });
    // setsid: batou leads a process group of its own, as a shell's foreground job does
    const running = Bun.spawn(["setsid", process.execPath, BATOU, "deploy", "tty", "--json"], { cwd: p.dir, env: deployEnv(), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    let exited = false;
    void running.exited.then(() => (exited = true));
    await waitFor(() => exited || pgrep(`sleep ${seconds}`).length > 0, 30, "the remote sleep");
    if (exited) throw new Error(`the deployment ended early: ${JSON.stringify((await finish(running)).errors)}`);
    process.kill(-running.pid, "SIGINT"); // what the terminal does on Ctrl-C
    const result = await finish(running);
    expect(result.code).toBe(130);
    expect(result.errors.map((e) => e.message)).toEqual([expect.stringContaining("interrupted")]);
    expect(result.errors[0]!.context["stopped halfway"]).toBe("host1/slow");
    await waitFor(() => pgrep(`batou-${VERSION} agent`, `/home/deploy/${target}`).length === 0 && pgrep(`sleep ${seconds}`).length === 0, 5, "the agent to exit");
    expect(existsSync(home("host1", `deploy/${target}/.batou-lock`))).toBe(false);
    expect(existsSync(join(p.dir, "work/.batou-lock-tty"))).toBe(false);
    expect(readFileSync(home("host1", `deploy/${target}/work/slow/before.txt`), "utf8")).toBe("written before the sleep\n");
  }, 60_000);

  test("a host without rsync: the executable and the project are streamed; a no-op ships nothing; removed files disappear", async () => {
    const target = `t-bare-${process.pid}`;
    const p = project({ "environments/bare.toml": env(target, bare, { host2: ["plain"] }), "components/plain/extra.txt": "extra\n" });
    const details = (run: Awaited<ReturnType<typeof deploy>>, status: string) => String(run.events.find((e) => e.event === "host" && e.status === status)?.detail);
    const first = await deploy(p, "bare");
    expect(first.errors).toEqual([]);
    expect(first.code).toBe(0);
    expect(readFileSync(home("host2", `deploy/${target}/work/plain/plain.txt`), "utf8")).toBe("plain on host2\n");
    expect(readFileSync(home("host2", `deploy/${target}/components/plain/extra.txt`), "utf8")).toBe("extra\n");
    expect(details(first, "shipped-executable")).toMatch(/\(streamed(, zstd)?\)/);
    expect(details(first, "connected")).toContain("no rsync (tar streams)");

    const again = await deploy(p, "bare");
    expect(again.code).toBe(0);
    expect(again.summary?.changed).toBe(0);
    expect(details(again, "shipped")).toContain("nothing shipped"); // equal fingerprints

    rmSync(join(p.dir, "components/plain/extra.txt"));
    writeFileSync(home("host2", `deploy/${target}/work/plain/state`), "the host's own\n");
    const third = await deploy(p, "bare");
    expect(third.code).toBe(0);
    expect(existsSync(home("host2", `deploy/${target}/components/plain/extra.txt`))).toBe(false);
    expect(readFileSync(home("host2", `deploy/${target}/work/plain/state`), "utf8")).toBe("the host's own\n");
    expect(readdirSync(home("host2", `deploy/${target}`)).filter((name) => name.includes("incoming"))).toEqual([]);

    // another executable there (not the expected one): without rsync it is streamed again as a tree
    // (after its last deploy the agent ends by itself, moments after batou did)
    await waitFor(() => pgrep(`batou-${VERSION} agent`, `/home/deploy/${target}`).length === 0, 10, "the agent to end");
    writeFileSync(home("host2", `deploy/${target}/.batou/batou-${VERSION}`), "damaged", { flag: "a" });
    const mended = await deploy(p, "bare");
    expect(mended.errors).toEqual([]);
    expect(details(mended, "shipped-executable")).toContain("(tar stream)");
    expect(readFileSync(home("host2", `deploy/${target}/.batou/batou-${VERSION}`)).subarray(0, 4).toString("latin1")).toBe("\x7fELF");
  }, 120_000);

  test("a run that fails while another host's exec command still runs leaves nothing running", async () => {
    const seconds = `30.${process.pid}`;
    // host1's exec command hangs, host2's fails at once (as podman does for a missing container)
    const hanging: ExecTestbed = {
      argv: [],
      toml: `connect_method = "exec"\nexec = ${JSON.stringify(["sh", "-c", `case "$0" in host1) sleep ${seconds} ;; host2) echo "Error: no such container $0" >&2; exit 125 ;; esac; exec "$@"`, "{host}"])}\n`,
      cleanup: () => {},
    };
    const p = project({ "environments/half.toml": env(`t-half-${process.pid}`, hanging, { host1: ["plain"], host2: ["plain"] }) });
    const result = await deploy(p, "half");
    expect(result.code).toBe(1);
    expect(result.errors.map((e) => e.message)).toEqual(["cannot enter host host2 with its exec command: it exited with status 125: Error: no such container host2"]);
    await waitFor(() => pgrep(`sleep ${seconds}`).length === 0, 5, "the hanging exec command to be stopped");
  }, 60_000);

  test("a host the exec command cannot enter is one clear error naming it, without retries", async () => {
    const p = project({ "environments/nowhere.toml": env(`t-nowhere-${process.pid}`, exec, { host1: ["plain"], host999: ["plain"] }) });
    const result = await deploy(p, "nowhere");
    expect(result.code).toBe(1);
    expect(result.errors.length).toBe(1);
    const error = result.errors[0]!;
    expect(error.message).toStartWith("cannot enter host host999 with its exec command: it exited with status 1: nsenter: ");
    expect(error.context.host).toBe("host999");
    expect(error.context["exec command"]).toContain("/host999/mnt");
    expect(result.events.filter((e) => e.event === "warning" && e.host === "host999")).toEqual([]);
  }, 60_000);
});
