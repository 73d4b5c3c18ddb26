/**
 * `Supervisor` and `Program` (and `Service` under a host's `Supervisor`)
 * against a real supervisord: locally, and over SSH as the test bed's
 * service user, who cannot write the system's supervisor configuration.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Testbed, startTestbed, testbedAvailability } from "../testbed/testbed.ts";
import { deploy as deployRemote, makeProject as makeRemoteProject, type Project as RemoteProject, SSH_CLIENTS, sshClientSetting } from "../remote/remote-helpers.ts";
import { deploy, makeProject, type Project } from "./helpers.ts";
import { waitForSync, waitUntilSync } from "../helpers/wait.ts";

setDefaultTimeout(120_000);

const hasSupervisor = Bun.spawnSync(["sh", "-c", "command -v supervisord && command -v supervisorctl"]).exitCode === 0;

const SUPERVISOR = `import { Component, Supervisor } from "batou";
export class Supervisorroot extends Component {
  enable = true;
  loglevel = "info";
  configure() { this.add(new Supervisor({ enable: this.enable, loglevel: this.loglevel })); }
}
`;

/** A project with the Supervisor root and an `app` root whose configure() body is `body`. */
function files(body: string, imports = "Component, Program"): Record<string, string> {
  return {
    "components/supervisorroot/component.ts": SUPERVISOR,
    "components/app/component.ts": `import { ${imports} } from "batou";\nexport class App extends Component {\n  configure() {\n${body}\n  }\n}\n`,
  };
}

/** Components that updated (not only changed because a child did). */
const updated = (run: { events: Record<string, any>[] }) => run.events.filter((e) => e.event === "component" && e.updated).map((e) => e.component as string);

/** Whether process `pid` runs (a zombie no longer does: this machine's init may not reap). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** Stops the supervisord whose pid file is `pidfile`, if it runs. */
function stopSupervisord(pidfile: string): void {
  if (!existsSync(pidfile)) return;
  const pid = Number(readFileSync(pidfile, "utf8").trim());
  if (!(pid > 0)) return;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  if (!waitUntilSync(() => !alive(pid), 10)) process.kill(pid, "SIGKILL");
}

describe.skipIf(!hasSupervisor)("Supervisor and Program under a real supervisord (locally)", () => {
  const projects: Project[] = [];
  const project = (body: string, imports?: string, extraEnv = "") => {
    const p = makeProject(files(body, imports), ["supervisorroot", "app"], extraEnv);
    projects.push(p);
    return p;
  };
  const conf = (p: Project) => join(p.work("supervisorroot"), "etc/supervisord.conf");
  const ctl = (p: Project, ...args: string[]) => Bun.spawnSync(["supervisorctl", "-c", conf(p), ...args]).stdout.toString();
  afterEach(() => {
    for (const p of projects.splice(0)) {
      stopSupervisord(join(p.work("supervisorroot"), "supervisord.pid"));
      rmSync(p.dir, { recursive: true, force: true });
    }
  });

  test("-P on an empty host predicts supervisord and the program; the deploy starts both; a second deploy changes nothing", async () => {
    const p = project(`    this.add(new Program("sleeper", { command: "sh", commandAbsolute: false, args: '-c "sleep 1; touch started; exec sleep 3600"', options: { startsecs: 2 } }));`);
    const predicted = await deploy(p, { predict: true });
    expect(predicted.errors).toEqual([]);
    expect(existsSync(p.work("supervisorroot"))).toBe(false);
    expect(predicted.logs).toContain(`start supervisord (${conf(p)})`);
    expect(predicted.logs).toContain("start sleeper (not known to supervisord yet)");
    expect(predicted.diffs.map((d) => d.path)).toEqual(expect.arrayContaining([conf(p), join(p.work("supervisorroot"), "etc/supervisor.d/sleeper.conf")]));

    const first = await deploy(p);
    expect(first.errors).toEqual([]);
    // the program ran for its startsecs before the deploy went on
    expect(existsSync(join(p.work("app"), "started"))).toBe(true);
    expect(ctl(p, "status", "sleeper")).toContain("RUNNING");
    const program = readFileSync(join(p.work("supervisorroot"), "etc/supervisor.d/sleeper.conf"), "utf8");
    expect(program).toContain(`command = sh -c "sleep 1; touch started; exec sleep 3600"`);
    expect(program).toContain(`directory = ${p.work("app")}`);
    expect(program).toContain(`stdout_logfile = ${join(p.work("supervisorroot"), "var/log/sleeper.log")}`);
    expect(program).toContain("startsecs = 2\nstartretries = 3\n");
    expect(statSync(join(p.work("supervisorroot"), "supervisor.sock")).mode & 0o777).toBe(0o700);
    const pid = ctl(p, "pid", "sleeper").trim();

    const second = await deploy(p);
    expect(second.errors).toEqual([]);
    expect(second.changed).toEqual([]);
    expect(ctl(p, "pid", "sleeper").trim()).toBe(pid);
  });

  test("a stopped program and a stopped supervisord are started again; a configuration change reloads supervisord", async () => {
    const p = project(`    this.add(new Program("sleeper", { command: "/bin/sleep", args: "3600", options: { startsecs: 1 } }));`);
    expect((await deploy(p)).errors).toEqual([]);
    ctl(p, "stop", "sleeper");
    const restarted = await deploy(p);
    expect(updated(restarted)).toEqual(["App > Program('sleeper')"]);
    expect(ctl(p, "status", "sleeper")).toContain("RUNNING");

    ctl(p, "shutdown");
    waitForSync(() => !existsSync(join(p.work("supervisorroot"), "supervisor.sock")), 5, "supervisord to shut down");
    const again = await deploy(p);
    expect(again.errors).toEqual([]);
    expect(updated(again)).toEqual(["Supervisorroot > Supervisor"]);
    expect(ctl(p, "status", "sleeper")).toContain("RUNNING");

    const supervisordPid = ctl(p, "pid").trim();
    const reloaded = await deploy(p);
    expect(reloaded.changed).toEqual([]);
    writeFileSync(join(p.dir, "environments/local.toml"), readFileSync(join(p.dir, "environments/local.toml"), "utf8") + '\n[components.supervisorroot]\nloglevel = "debug"\n');
    const changed = await deploy(p);
    expect(changed.errors).toEqual([]);
    expect(changed.logs.some((line) => line.startsWith("reload supervisord"))).toBe(true);
    expect(readFileSync(conf(p), "utf8")).toContain("loglevel = debug");
    expect(ctl(p, "pid").trim()).toBe(supervisordPid); // reloaded in place, not a new daemon
    expect(ctl(p, "status", "sleeper")).toContain("RUNNING");
    expect((await deploy(p)).changed).toEqual([]);
  });

  test("a program that does not start is an error with the tail of its log; a disabled one is not started", async () => {
    const p = project(
      `    this.add(new Program("quitter", { command: "sh", commandAbsolute: false, args: '-c "echo no database configured >&2; exit 1"', options: { startsecs: 1, startretries: 0 } }));
    this.add(new Program("idle", { command: "/bin/sleep", args: "3600", enable: false }));`,
    );
    const run = await deploy(p);
    expect(run.errors[0]?.message).toBe("program quitter did not start");
    expect(run.errors[0]?.context.log).toBe("no database configured");
    expect(run.errors[0]?.context.component).toBe("App > Program('quitter')");
    expect(run.stdout + run.stderr).not.toContain("    at ");
    expect(ctl(p, "status", "idle")).not.toContain("RUNNING");
  });

  /** Deploys `program`, then again with enable = false: supervisord's pid and the second run. */
  const deployThenDisable = async (program: string) => {
    const p = project(`    this.add(new Program(${program}));`);
    expect((await deploy(p)).errors).toEqual([]);
    const pid = Number(ctl(p, "pid").trim());
    expect(pid).toBeGreaterThan(0);
    writeFileSync(join(p.dir, "environments/local.toml"), readFileSync(join(p.dir, "environments/local.toml"), "utf8") + "\n[components.supervisorroot]\nenable = false\n");
    const off = await deploy(p);
    expect(off.errors).toEqual([]);
    return { p, pid, off };
  };

  test("enable = false shuts supervisord down, and deploys without error when it does not run", async () => {
    const { p, pid, off } = await deployThenDisable(`"sleeper", { command: "/bin/sleep", args: "3600", options: { startsecs: 1 } }`);
    expect(off.changed).toContain("Supervisorroot > Supervisor");
    expect(alive(pid)).toBe(false);
    const again = await deploy(p);
    expect(again.errors).toEqual([]);
    expect(again.changed).toEqual([]);
  });

  test("enable = false returns only once supervisord has exited, also while a program takes its time to stop", async () => {
    // the program ignores TERM: supervisord closes its socket at once but lives until stopwaitsecs have passed
    const { pid } = await deployThenDisable(`"stubborn", { command: "sh", commandAbsolute: false, args: "-c 'trap \\"\\" TERM; exec sleep 3600'", options: { startsecs: 1, stopwaitsecs: 3 } }`);
    expect(alive(pid)).toBe(false);
  });

  test("a change before a program restarts it; a cold program is stopped before that change", async () => {
    const body = (version: string) => `    this.add(new File("release.txt", { content: "${version}\\n" }));
    this.add(new Program("hot", { command: "/bin/sleep", args: "3600", options: { startsecs: 1 } }));
    this.add(new Program("cold", { command: "/bin/sleep", args: "3601", deployment: "cold", options: { startsecs: 1 } }));`;
    const p = project(body("1"), "Component, File, Program");
    expect((await deploy(p)).errors).toEqual([]);
    const hot = ctl(p, "pid", "hot").trim();
    const cold = ctl(p, "pid", "cold").trim();
    writeFileSync(join(p.dir, "components/app/component.ts"), files(body("2"), "Component, File, Program")["components/app/component.ts"]!);
    const predicted = await deploy(p, { predict: true });
    expect(predicted.logs).toContain("restart hot: App > File('release.txt') changed");
    expect(ctl(p, "pid", "cold").trim()).toBe(cold);
    const run = await deploy(p);
    expect(run.errors).toEqual([]);
    expect(run.logs).toContain("stopping cold for a cold deployment");
    expect(ctl(p, "pid", "hot").trim()).not.toBe(hot);
    expect(ctl(p, "pid", "cold").trim()).not.toBe(cold);
    expect(ctl(p, "status")).not.toContain("STOPPED");
  });

  test("a Service on a host with a Supervisor runs under it", async () => {
    const p = project(
      `    this.add(new File("bin/server", { content: "#!/bin/sh\\nexec sleep 1000\\n", mode: 0o755, leadingDirs: true }));
    this.add(new Service("batou-test-hosted", { command: "bin/server", manager: "supervisor" }));`,
      "Component, File, Service",
    );
    expect((await deploy(p)).errors).toEqual([]);
    expect(ctl(p, "status", "batou-test-hosted")).toContain("RUNNING");
    expect(existsSync(join(p.work("supervisorroot"), "etc/supervisor.d/batou-test-hosted.conf"))).toBe(true);
    expect((await deploy(p)).changed).toEqual([]);
  });
});

const bed = testbedAvailability();

for (const client of SSH_CLIENTS) describe.skipIf(!bed.ok || !hasSupervisor)(`services over SSH with ${client} as the service user (not root, no systemd)`, () => {
  let tb: Testbed;
  const projects: RemoteProject[] = [];
  const targets: string[] = [];
  beforeAll(async () => {
    tb = await startTestbed(1);
  }, 60_000);
  afterAll(() => {
    for (const target of targets) stopSupervisord(join(tb.roots.host1!, "home/service", target, "work/supervisorroot/supervisord.pid"));
    for (const p of projects) p.remove();
  });
  const project = (roots: string[], body: string, imports?: string, extra = "") => {
    const target = `t-supervisor-${client}-${process.pid}-${targets.length}`;
    targets.push(target);
    const env = `[environment]\ntarget_directory = "${target}"\nservice_user = "service"\ntimeout = 60\n${sshClientSetting(client)}\n${extra}\n[hosts.host1]\ncomponents = ${JSON.stringify(roots)}\n`;
    const p = makeRemoteProject(tb, { ...files(body, imports), "environments/bed.toml": env });
    projects.push(p);
    return { p, target, work: (root: string) => join(tb.roots.host1!, "home/service", target, "work", root) };
  };

  test("a Service without a writable manager: -P names the folder and the user, and how to fix it", async () => {
    const { p } = project(["app"], `    this.add(new Service("batou-test-nope", { command: "/bin/sleep 1000" }));`, "Component, Service");
    const predicted = await deployRemote(p, "bed", ["-P"]);
    expect(predicted.code).toBe(1);
    const error = predicted.errors[0]!;
    expect(error.message).toBe("cannot write /etc/supervisor/conf.d as user service: permission denied (EACCES)");
    expect(error.context.host).toBe("host1");
    expect(error.context.component).toBe("App > Service('batou-test-nope') > ManagerCheck");
    expect(error.context.hint).toContain("add a Supervisor component to this host");
  });

  test('manager "systemd" where no systemd user manager runs for the service user: -P says so, and how to fix it', async () => {
    const { p, target } = project(["app"], `    this.add(new Service("batou-test-unit", { command: "/bin/sleep 1000", manager: "systemd" }));`, "Component, Service");
    const predicted = await deployRemote(p, "bed", ["-P"]);
    expect(predicted.code).toBe(1);
    expect(predicted.errors[0]?.message).toBe("no systemd user manager runs for user service");
    expect(predicted.errors[0]?.context.hint).toContain("loginctl enable-linger service");
    const run = await deployRemote(p, "bed");
    expect(run.errors[0]?.message).toBe("no systemd user manager runs for user service");
    expect(existsSync(join(tb.roots.host1!, "home/service/.config/systemd/user/batou-test-unit.service"))).toBe(false);
    expect(existsSync(join(tb.roots.host1!, "home/service", target, "work/app"))).toBe(true);
  });

  test("-P on an empty host, then the service user's own supervisord with a Program and a Service; idempotent", async () => {
    const { p, work } = project(
      ["supervisorroot", "app"],
      `    this.add(new Program("sleeper", { command: "/bin/sleep", args: "3600", options: { startsecs: 1 } }));
    this.add(new Service("batou-test-svc", { command: "/bin/sleep 3601", startSeconds: 1 }));`,
      "Component, Program, Service",
    );
    const predicted = await deployRemote(p, "bed", ["-P"]);
    expect(predicted.errors).toEqual([]);
    expect(predicted.code).toBe(0);
    expect(existsSync(work("supervisorroot"))).toBe(false);
    const logs = predicted.events.filter((e) => e.event === "log").map((e) => e.message as string);
    expect(logs.some((line) => line.startsWith("start supervisord"))).toBe(true);
    expect(logs).toContain("start sleeper (not known to supervisord yet)");
    expect(logs).toContain("start batou-test-svc: not running");

    const first = await deployRemote(p, "bed");
    expect(first.errors).toEqual([]);
    expect(first.code).toBe(0);
    const pid = Number(readFileSync(join(work("supervisorroot"), "supervisord.pid"), "utf8"));
    // supervisord and its programs run as the service user (uid 2001), not as root
    const uid = (process: number) => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${process}/status`, "utf8"))![1]);
    expect(uid(pid)).toBe(2001);
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).map(Number);
    expect(children.length).toBe(2);
    for (const child of children) expect(uid(child)).toBe(2001);
    expect(readFileSync(join(work("supervisorroot"), "etc/supervisor.d/batou-test-svc.conf"), "utf8")).toContain("command=/bin/sleep 3601");

    const second = await deployRemote(p, "bed");
    expect(second.errors).toEqual([]);
    expect(second.summary?.changed).toBe(0);

    // a program that does not start: the error over SSH carries what it said
    p.write(
      "components/app/component.ts",
      files(`    this.add(new Program("quitter", { command: "sh", commandAbsolute: false, args: '-c "echo port 8080 in use >&2; exit 1"', options: { startsecs: 1, startretries: 0 } }));`)["components/app/component.ts"]!,
    );
    const failed = await deployRemote(p, "bed");
    expect(failed.code).toBe(1);
    expect(failed.errors[0]?.message).toBe("program quitter did not start");
    expect(failed.errors[0]?.context.host).toBe("host1");
    // on a loaded machine the program may outlive startsecs once and be started again: every line is its complaint
    expect(new Set(String(failed.errors[0]?.context.log).split("\n"))).toEqual(new Set(["port 8080 in use"]));
  });
});
