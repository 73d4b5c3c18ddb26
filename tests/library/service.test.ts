import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Component, Service } from "../../lib/batou.ts";
import { chooseBackend, journalArgv, systemctlArgv, systemdEnv, systemdStart } from "../../lib/library/service.ts";
import { cleanupModels, model } from "../helpers/model.ts";
import { component, deploy, makeProject, cleanupProjects } from "./helpers.ts";
import { waitForSync, waitUntilSync } from "../helpers/wait.ts";

afterAll(cleanupProjects);

setDefaultTimeout(120_000);

const hasSupervisor = Bun.spawnSync(["sh", "-c", "command -v supervisord && command -v supervisorctl"]).exitCode === 0;

/** A supervisord of its own: temp config, socket and include folder. */
function startSupervisor(): { dir: string; conf: string; ctl: string; stop: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "batou-supervisor-"));
  mkdirSync(join(dir, "conf.d"));
  mkdirSync(join(dir, "logs"));
  const conf = join(dir, "supervisord.conf");
  writeFileSync(
    conf,
    `[unix_http_server]
file=${dir}/supervisor.sock
[supervisord]
logfile=${dir}/supervisord.log
pidfile=${dir}/supervisord.pid
childlogdir=${dir}/logs
user=${process.env.USER ?? "root"}
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
serverurl=unix://${dir}/supervisor.sock
[include]
files = ${dir}/conf.d/*.conf
`,
  );
  const started = Bun.spawnSync(["supervisord", "-c", conf]);
  if (started.exitCode !== 0) throw new Error(`supervisord: ${started.stderr}`);
  waitForSync(() => existsSync(join(dir, "supervisor.sock")), 5, "supervisord's socket");
  const stop = () => {
    const pid = existsSync(join(dir, "supervisord.pid")) ? Number(readFileSync(join(dir, "supervisord.pid"), "utf8")) : 0;
    Bun.spawnSync(["supervisorctl", "-c", conf, "shutdown"]);
    const running = () => pid > 0 && Bun.spawnSync(["kill", "-0", String(pid)]).exitCode === 0;
    if (!waitUntilSync(() => !running(), 5)) process.kill(pid, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  return { dir, conf, ctl: `supervisorctl -c ${conf}`, stop };
}

function serviceProject(setting: string, extra = "") {
  return makeProject(
    {
      "components/app/component.ts": component(
        `export class App extends Component {
  setting = ${JSON.stringify(setting)};
  configure() {
    this.add(new File("bin/server", { content: "#!/bin/sh\\nexec sleep 1000\\n", mode: 0o755, leadingDirs: true }));
    this.add(new File("app.conf", { content: "setting = " + this.setting + "\\n" }));
    this.add(new Service("batou-test-app", { command: "bin/server --flag", env: { MODE: "test" }, startSeconds: 1, ${extra} }));
  }
}`,
        "Component, File, Service",
      ),
    },
    ["app"],
  );
}

describe.skipIf(!hasSupervisor)("Service under a real supervisord", () => {
  let sup: ReturnType<typeof startSupervisor>;
  beforeAll(() => {
    sup = startSupervisor();
  });
  afterAll(() => sup.stop());

  const pid = () => Bun.spawnSync(["sh", "-c", `${sup.ctl} pid batou-test-app`]).stdout.toString().trim();
  const status = () => Bun.spawnSync(["sh", "-c", `${sup.ctl} status batou-test-app`]).stdout.toString();

  test("starts, stays untouched on redeploy, restarts when its config or a sibling changes; -P changes nothing", async () => {
    const extra = `manager: "supervisor", supervisorConfDir: ${JSON.stringify(join(sup.dir, "conf.d"))}, supervisorctl: ${JSON.stringify(sup.ctl)}`;
    const p = serviceProject("one", extra);
    const predicted = await deploy(p, { predict: true });
    expect(predicted.code).toBe(0);
    expect(predicted.diffs.find((d) => d.path.endsWith("batou-test-app.conf"))?.diff).toContain("+[program:batou-test-app]");
    expect(existsSync(join(sup.dir, "conf.d/batou-test-app.conf"))).toBe(false);

    const first = await deploy(p);
    expect(first.code).toBe(0);
    expect(status()).toContain("RUNNING");
    const program = readFileSync(join(sup.dir, "conf.d/batou-test-app.conf"), "utf8");
    expect(program).toContain(`command=${join(p.work("app"), "bin/server")} --flag`);
    expect(program).toContain('environment=MODE="test"');
    const pid1 = pid();
    expect(Number(pid1)).toBeGreaterThan(0);

    const second = await deploy(p);
    expect(second.summary.changed).toBe(0);
    expect(pid()).toBe(pid1);

    // a sibling (the app's config) changed: predicted restart, then a real one
    writeFileSync(join(p.dir, "components/app/component.ts"), readFileSync(join(p.dir, "components/app/component.ts"), "utf8").replace('"one"', '"two"'));
    const predicted2 = await deploy(p, { predict: true });
    expect(predicted2.changed.some((c) => c.includes("Service('batou-test-app')"))).toBe(true);
    expect(pid()).toBe(pid1);
    expect((await deploy(p)).summary.changed).toBe(2);
    const pid2 = pid();
    expect(pid2).not.toBe(pid1);
    expect(status()).toContain("RUNNING");

    // stopped behind batou's back: started again
    Bun.spawnSync(["sh", "-c", `${sup.ctl} stop batou-test-app`]);
    expect((await deploy(p)).summary.changed).toBe(1);
    expect(status()).toContain("RUNNING");
    expect((await deploy(p)).summary.changed).toBe(0);
  });

  test("a program that does not start is a clear error with the tail of its log", async () => {
    const extra = `manager: "supervisor", supervisorConfDir: ${JSON.stringify(join(sup.dir, "conf.d"))}, supervisorctl: ${JSON.stringify(sup.ctl)}`;
    const p = makeProject(
      {
        "components/bad/component.ts": component(
          `export class Bad extends Component { configure() {
  this.add(new File("bin/bad", { content: "#!/bin/sh\\necho starting\\necho cannot open config.ini >&2\\nexit 3\\n", mode: 0o755, leadingDirs: true }));
  this.add(new Service("batou-test-bad", { command: "bin/bad", startSeconds: 1, supervisorOptions: { startretries: "0" }, ${extra} }));
} }`,
          "Component, File, Service",
        ),
      },
      ["bad"],
    );
    const result = await deploy(p);
    expect(result.code).not.toBe(0);
    const error = result.errors[0]!;
    expect(error.message).toBe("service batou-test-bad did not start");
    expect(error.context.status).toContain("FATAL");
    // not only "FATAL Exited too quickly": what the program said
    expect(error.context.log).toBe("starting\ncannot open config.ini");
    expect(result.stdout + result.stderr).not.toContain("    at ");
  }, 30_000);
});

describe("Service as a systemd unit", () => {
  test("the unit file's content (shown under -P), and a clear error without a running systemd", async () => {
    const unitDir = mkdtempSync(join(tmpdir(), "batou-units-"));
    const p = serviceProject("one", `manager: "systemd", unitDir: ${JSON.stringify(unitDir)}, description: "Test app"`);
    const predicted = await deploy(p, { predict: true });
    expect(predicted.code).toBe(0);
    const diff = predicted.diffs.find((d) => d.path === join(unitDir, "batou-test-app.service"))?.diff as string;
    const root = process.getuid?.() === 0;
    const unit = diff
      .split("\n")
      .filter((line) => line.startsWith("+") && !line.startsWith("+++"))
      .map((line) => line.slice(1))
      .join("\n");
    expect(unit).toBe(
      [
        "# File is generated by batou for component App > Service('batou-test-app'). Don't edit manually.",
        "[Unit]",
        "Description=Test app",
        "After=network.target",
        "",
        "[Service]",
        "Type=simple",
        `ExecStart=${join(p.work("app"), "bin/server")} --flag`,
        `WorkingDirectory=${p.work("app")}`,
        'Environment="MODE=test"',
        "Restart=always",
        "RestartSec=1",
        "",
        "[Install]",
        `WantedBy=${root ? "multi-user.target" : "default.target"}`,
      ].join("\n"),
    );
    expect(existsSync(join(unitDir, "batou-test-app.service"))).toBe(false);
    if (!existsSync("/run/systemd/system")) {
      const result = await deploy(p);
      expect(result.code).not.toBe(0);
      expect(result.errors[0]?.message).toMatch(/systemctl daemon-reload failed|systemctl is not installed/);
      expect(result.errors[0]?.context.component).toBe("App > Service('batou-test-app')");
    }
    rmSync(unitDir, { recursive: true, force: true });
  });
});

describe("choosing the service manager (systemd cannot run here: the choice is a pure function of what the host offers)", () => {
  const facts = { manager: "auto", systemd: false, root: false, userManager: false, hostSupervisor: false, givenSupervisor: false } as const;
  test.each([
    ["root on a systemd host: a system unit", { root: true, systemd: true }, { kind: "systemd", scope: "system" }],
    ["a user whose systemd user manager runs: a user unit", { systemd: true, userManager: true }, { kind: "systemd", scope: "user" }],
    ["a user without a user manager, with the host's Supervisor: that supervisord", { systemd: true, hostSupervisor: true }, { kind: "supervisor", scope: "host" }],
    ["a user without a user manager or Supervisor: the system's supervisord (checked for writability)", { systemd: true }, { kind: "supervisor", scope: "system" }],
    ["root without systemd: the host's Supervisor when there is one", { root: true, hostSupervisor: true }, { kind: "supervisor", scope: "host" }],
    ["root without systemd or Supervisor: the system's supervisord", { root: true }, { kind: "supervisor", scope: "system" }],
    ["a supervisord given by supervisorConfDir/supervisorctl wins over the host's Supervisor", { hostSupervisor: true, givenSupervisor: true }, { kind: "supervisor", scope: "system" }],
    ['manager "supervisor" on a systemd host', { manager: "supervisor", root: true, systemd: true, hostSupervisor: true }, { kind: "supervisor", scope: "host" }],
    ['manager "systemd" as a user: a user unit, whether or not its manager runs (checked before writing)', { manager: "systemd" }, { kind: "systemd", scope: "user" }],
  ] as const)("%s", (_, given, expected) => {
    expect(chooseBackend({ ...facts, ...given })).toEqual(expected);
  });
});

describe("systemd unit content (no systemd runs here: the text is what can be tested)", () => {
  afterAll(cleanupModels);
  class Web extends Component {
    override configure() {
      this.add(new Service("web", { command: "bin/web --port 80%", user: "www", env: { A: 'say "hi"' }, manager: "systemd" }));
    }
  }
  const service = () => {
    const m = model({ components: { web: Web }, hosts: { localhost: ["web"] } });
    m.configure();
    return m.component("web").subComponents.find((c) => c instanceof Service) as Service;
  };

  test("a user unit: no User= (it runs as the user), wanted by default.target", () => {
    const s = service();
    const unit = s.unitFile("user");
    expect(unit).toContain(`ExecStart=${join(s.workdir, "bin/web")} --port 80%%\n`);
    expect(unit).toContain('Environment="A=say \\"hi\\""\n');
    expect(unit).not.toContain("User=");
    expect(unit).toEndWith("[Install]\nWantedBy=default.target\n");
  });

  test("a system unit: User= and multi-user.target", () => {
    const unit = service().unitFile("system");
    expect(unit).toContain("User=www\n");
    expect(unit).toEndWith("[Install]\nWantedBy=multi-user.target\n");
  });
});

describe("systemd commands (no systemd runs here: the argv and environment are what can be tested)", () => {
  test.each([
    ["system", [], undefined],
    ["user", ["--user"], { XDG_RUNTIME_DIR: "/run/user/2001" }],
  ] as const)("a %s unit", (scope, flag, env) => {
    expect(systemctlArgv(scope, "is-active", "web")).toEqual(["systemctl", ...flag, "is-active", "web"]);
    // a user manager is reached through its socket in the runtime directory
    expect(systemdEnv(scope, "/run/user/2001")).toEqual(env);
    expect(systemdStart(scope, "web")).toEqual([
      ["systemctl", ...flag, "daemon-reload"],
      ["systemctl", ...flag, "enable", "web"],
      ["systemctl", ...flag, "restart", "web"],
    ]);
    expect(journalArgv(scope, "web", 20)).toEqual(["journalctl", ...flag, "-u", "web", "-n", "20", "--no-pager", "-o", "cat"]);
  });
});
