import { accessSync, constants, existsSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { CommandError, Component, ConfigurationError, DeploymentError, UpdateNeeded } from "../batou-core.ts";
import { File } from "./file.ts";
import { SUPERVISOR_RESOURCE, type Supervisor } from "./supervisor.ts";
import { lastLines, LOG_TAIL_LINES, Supervisorctl } from "./supervisorctl.ts";

export type ServiceManager = "auto" | "systemd" | "supervisor";

const SYSTEMD_RUNNING = "/run/systemd/system";
const SYSTEM_SUPERVISOR_DIR = "/etc/supervisor/conf.d";

/** Which manager runs a service, and whose. */
export type ServiceBackend =
  | { kind: "systemd"; scope: "system" | "user" }
  /** `host`: the host's `Supervisor` component; `system`: the system's (or the given) supervisord. */
  | { kind: "supervisor"; scope: "host" | "system" };

/** What the choice of a service manager depends on (looked up on the host). */
export interface ManagerFacts {
  manager: ServiceManager;
  /** systemd is the init system (`/run/systemd/system` exists). */
  systemd: boolean;
  root: boolean;
  /** The user's own systemd manager runs (`$XDG_RUNTIME_DIR/systemd/private` exists). */
  userManager: boolean;
  /** A `Supervisor` component is on this host. */
  hostSupervisor: boolean;
  /** `supervisorConfDir` or `supervisorctl` is given: that supervisord is meant. */
  givenSupervisor: boolean;
}

/** The manager a service gets (see `Service`); a pure function of the facts. */
export function chooseBackend(facts: ManagerFacts): ServiceBackend {
  const systemd = { kind: "systemd", scope: facts.root ? "system" : "user" } as const;
  const supervisor = { kind: "supervisor", scope: facts.hostSupervisor && !facts.givenSupervisor ? "host" : "system" } as const;
  if (facts.manager === "systemd") return systemd;
  if (facts.manager === "supervisor") return supervisor;
  return facts.systemd && (facts.root || facts.userManager) ? systemd : supervisor;
}

/** The user's runtime directory, where a systemd user manager has its socket. */
function runtimeDir(): string {
  return process.env.XDG_RUNTIME_DIR || `/run/user/${process.getuid?.() ?? 0}`;
}

function userManagerRuns(): boolean {
  return existsSync(join(runtimeDir(), "systemd/private"));
}

/** Whether the current user may create files in `dir` (or, where it does not exist yet, in its nearest existing parent). */
export function writable(dir: string): { ok: true } | { ok: false; reason: string } {
  let path = dir;
  while (!existsSync(path) && dirname(path) !== path) path = dirname(path);
  try {
    accessSync(path, constants.W_OK);
    return { ok: true };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    return { ok: false, reason: `${code === "EACCES" ? "permission denied" : (error as Error).message} (${code}${path !== dir ? ` on ${path}` : ""})` };
  }
}

/** `systemctl ARGS` for a unit of `scope` (a user unit: `systemctl --user`). */
export function systemctlArgv(scope: "system" | "user", ...args: string[]): string[] {
  return ["systemctl", ...(scope === "user" ? ["--user"] : []), ...args];
}

/** What systemctl and journalctl need for `scope`: a user manager is reached through its socket in the runtime directory. */
export function systemdEnv(scope: "system" | "user", runtime: string): Record<string, string> | undefined {
  return scope === "user" ? { XDG_RUNTIME_DIR: runtime } : undefined;
}

/** The commands that (re)start unit `name` after its file was written: reload, enable at boot, restart. */
export function systemdStart(scope: "system" | "user", name: string): string[][] {
  return [systemctlArgv(scope, "daemon-reload"), systemctlArgv(scope, "enable", name), systemctlArgv(scope, "restart", name)];
}

/** The last `lines` lines of unit `name`'s journal, as plain text. */
export function journalArgv(scope: "system" | "user", name: string, lines: number): string[] {
  return ["journalctl", ...(scope === "user" ? ["--user"] : []), "-u", name, "-n", String(lines), "--no-pager", "-o", "cat"];
}

/** Quotes a value for systemd's `Environment=`. */
function systemdQuote(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/%/g, "%%")}"`;
}

/**
 * `Service`: a long-running program kept running, by the service manager the
 * host offers to the user batou runs as (`manager: "auto"`, the default):
 *
 * 1. systemd where it runs (`/run/systemd/system`): a system unit as root, a
 *    user unit (`systemctl --user`) where the user's own systemd manager runs;
 * 2. else supervisord: the host's `Supervisor` component when there is one
 *    (the service user's own supervisord), else the system's supervisord,
 *    whose include folder (`supervisorConfDir`) must be writable.
 *
 * `manager: "systemd"` or `"supervisor"` forces the kind. Before the unit or
 * program file is written (and under `-P`) the choice is checked: a folder
 * the user cannot write, or a systemd user manager that does not run, is an
 * error naming the user and what to do. The service is (re)started when it is
 * not running, when its unit/program file changed, or when a component added
 * before it in the same parent changed (a new config file or release). A
 * service that does not start is an error with its status and the tail of
 * its log (supervisor's log of the program, or the journal).
 *
 * @example
 * ```ts
 * this.add(new File("app.conf", { content: "port = 8080\n" }));
 * this.add(new Service("myapp", { command: "bin/app --config app.conf", env: { NODE_ENV: "production" } }));
 * ```
 */
export class Service extends Component {
  static override namevar = "name";
  /** The service's name: the systemd unit `NAME.service`, or the supervisor program. */
  name = "";
  /** The program and its arguments; a relative program path (`bin/app`) is inside the workdir. */
  command = "";
  /** Working directory (default: the workdir). */
  directory: string | undefined = undefined;
  /** Environment variables of the program. */
  env: Record<string, string> = {};
  /** Run as this user (system units and supervisor running as root only). */
  user: string | undefined = undefined;
  /** The unit's `Description=` (default: the service's name). */
  description: string | undefined = undefined;
  /** `"auto"` (default): systemd where this user can use it, else supervisord (see the class). */
  manager: ServiceManager = "auto";
  /** Seconds the program must stay up to count as started (supervisor `startsecs`). */
  startSeconds = 1;
  /** Extra `Key=value` lines for the unit's `[Service]` section. */
  systemdOptions: Record<string, string> = {};
  /** Where unit files go (default `/etc/systemd/system` as root, else `~/.config/systemd/user`). */
  unitDir: string | undefined = undefined;
  /** Extra `key=value` lines for the supervisor `[program:NAME]` section. */
  supervisorOptions: Record<string, string> = {};
  /** The system supervisord's include folder for program files (default `/etc/supervisor/conf.d`). */
  supervisorConfDir: string | undefined = undefined;
  /** The system supervisord's supervisorctl command, e.g. `"supervisorctl -c /srv/supervisord.conf"`. */
  supervisorctl: string | undefined = undefined;
  /** Program output (supervisor; default: supervisor's own log folder). */
  logFile: string | undefined = undefined;

  private _backend: ServiceBackend = { kind: "supervisor", scope: "system" };
  /** The host's `Supervisor`, when the service runs there. */
  private _supervisor?: Supervisor;

  constructor(name: string, options: ServiceOptions) {
    super(name, options);
  }

  /** The manager chosen in configure, and whose it is. */
  get backend(): ServiceBackend {
    return this._backend;
  }

  /** The manager in use after configure: `"systemd"` or `"supervisor"`. */
  get resolvedManager(): "systemd" | "supervisor" {
    return this._backend.kind;
  }

  private get systemUnit(): boolean {
    return this.backend.kind === "systemd" && this.backend.scope === "system";
  }

  /** The folder of the unit or program file. */
  get configDir(): string {
    if (this.backend.kind === "systemd") return this.map(this.unitDir ?? (this.systemUnit ? "/etc/systemd/system" : join(homedir(), ".config/systemd/user")));
    return this._supervisor ? this._supervisor.programDir : this.map(this.supervisorConfDir ?? SYSTEM_SUPERVISOR_DIR);
  }

  /** The unit or program file. */
  get configPath(): string {
    return join(this.configDir, `${this.name}.${this.backend.kind === "systemd" ? "service" : "conf"}`);
  }

  /** The command with a relative program path made absolute. */
  get commandLine(): string {
    const [program = "", ...rest] = this.command.trim().split(/\s+/);
    const absolute = program.includes("/") && !isAbsolute(program) ? this.map(program) : program;
    return [absolute, ...rest].join(" ");
  }

  override configure(): void {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.@-]*$/.test(this.name)) {
      throw new ConfigurationError(`invalid service name "${this.name}"`, { component: this.breadcrumbs, expected: "letters, digits, _ . @ -" });
    }
    if (!this.command?.trim()) throw new ConfigurationError(`Service('${this.name}') needs a command`, { component: this.breadcrumbs });
    if (!["auto", "systemd", "supervisor"].includes(this.manager)) {
      throw new ConfigurationError(`unknown service manager "${this.manager}"`, { component: this.breadcrumbs, expected: "auto, systemd, supervisor" });
    }
    // Always asked for (when supervisord may be meant), so the host's Supervisor deploys first.
    const hostSupervisor = this.manager === "systemd" ? undefined : this.require<Supervisor>(SUPERVISOR_RESOURCE, { host: this.host, strict: false })[0];
    this._backend = chooseBackend({
      manager: this.manager,
      systemd: existsSync(SYSTEMD_RUNNING),
      root: process.getuid?.() === 0,
      userManager: userManagerRuns(),
      hostSupervisor: hostSupervisor !== undefined,
      givenSupervisor: this.supervisorConfDir !== undefined || this.supervisorctl !== undefined,
    });
    this._supervisor = this.backend.kind === "supervisor" && this.backend.scope === "host" ? hostSupervisor : undefined;
    this.add(new ManagerCheck());
    const content = this.backend.kind === "systemd" ? this.unitFile() : this.programFile();
    this.add(new File(this.configPath, { content, template: false, leadingDirs: true }));
  }

  /**
   * Throws unless this user can use the chosen manager: write the unit or
   * program folder, and reach a systemd user manager. Runs (also under -P)
   * before the file is written, by the `ManagerCheck` part.
   */
  assertManagerUsable(): void {
    const user = userInfo().username;
    const context = { component: this.breadcrumbs, service: this.name };
    if (this.backend.kind === "systemd" && this.backend.scope === "user" && !userManagerRuns()) {
      throw new DeploymentError(`no systemd user manager runs for user ${user}`, {
        ...context,
        hint: `as root, run "loginctl enable-linger ${user}" once; or add a Supervisor component to this host`,
      });
    }
    const access = writable(this.configDir);
    if (!access.ok) {
      throw new DeploymentError(`cannot write ${this.configDir} as user ${user}: ${access.reason}`, {
        ...context,
        hint:
          this.backend.kind === "supervisor" && this.backend.scope === "system"
            ? "add a Supervisor component to this host (the service user's own supervisord), or deploy as a user who may write there"
            : "deploy as a user who may write there, or choose another folder",
      });
    }
  }

  private header(comment: string): string {
    return `${comment} File is generated by batou for component ${this.breadcrumbs}. Don't edit manually.\n`;
  }

  /** The systemd unit: a system unit, or (`scope` "user") a user unit. */
  unitFile(scope: "system" | "user" = this.unitScope): string {
    const system = scope === "system";
    const lines = [
      this.header("#").trimEnd(),
      "[Unit]",
      `Description=${this.description ?? this.name}`,
      "After=network.target",
      "",
      "[Service]",
      "Type=simple",
      `ExecStart=${this.commandLine.replace(/%/g, "%%")}`,
      `WorkingDirectory=${this.map(this.directory ?? this.workdir)}`,
      ...Object.keys(this.env)
        .sort()
        .map((key) => `Environment=${systemdQuote(`${key}=${this.env[key]}`)}`),
      ...(this.user && system ? [`User=${this.user}`] : []),
      "Restart=always",
      "RestartSec=1",
      ...Object.entries(this.systemdOptions).map(([key, value]) => `${key}=${value}`),
      "",
      "[Install]",
      `WantedBy=${system ? "multi-user.target" : "default.target"}`,
    ];
    return lines.join("\n") + "\n";
  }

  /** The supervisor program section. */
  programFile(): string {
    const env = Object.keys(this.env)
      .sort()
      .map((key) => `${key}="${String(this.env[key]).replace(/"/g, '\\"').replace(/%/g, "%%")}"`)
      .join(",");
    const lines = [
      this.header(";").trimEnd(),
      `[program:${this.name}]`,
      `command=${this.commandLine.replace(/%/g, "%%")}`,
      `directory=${this.map(this.directory ?? this.workdir)}`,
      ...(env ? [`environment=${env}`] : []),
      ...(this.user ? [`user=${this.user}`] : []),
      "autostart=true",
      "autorestart=true",
      `startsecs=${this.startSeconds}`,
      "stopasgroup=true",
      "killasgroup=true",
      "redirect_stderr=true",
      `stdout_logfile=${this.logFile ? this.map(this.logFile) : "AUTO"}`,
      ...Object.entries(this.supervisorOptions).map(([key, value]) => `${key}=${value}`),
    ];
    return lines.join("\n") + "\n";
  }

  private async run(argv: string[], what: string, ignoreReturnCode = false) {
    try {
      return await this.cmd(argv, { ignoreReturnCode, env: this.backend.kind === "systemd" ? systemdEnv(this.unitScope, runtimeDir()) : undefined });
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      throw new DeploymentError(error.exitCode === 127 ? `${argv[0]} is not installed` : `${what} failed`, {
        ...error.context,
        component: this.breadcrumbs,
        service: this.name,
        stdout: error.stdout.trim() || undefined,
      });
    }
  }

  private get unitScope(): "system" | "user" {
    return this.systemUnit ? "system" : "user";
  }

  private systemctl(...args: string[]): string[] {
    return systemctlArgv(this.unitScope, ...args);
  }

  /** supervisorctl of the supervisord that runs this service. */
  private get ctl(): Supervisorctl {
    return new Supervisorctl(this, this._supervisor ? this._supervisor.ctlArgv : (this.supervisorctl ?? "supervisorctl").trim().split(/\s+/));
  }

  /** Whether the service runs now (and, for systemd, starts at boot). */
  async running(): Promise<boolean> {
    if (this.backend.kind === "systemd") {
      const active = await this.run(this.systemctl("is-active", this.name), "systemctl is-active", true);
      const enabled = await this.run(this.systemctl("is-enabled", this.name), "systemctl is-enabled", true);
      return active.stdout.trim() === "active" && enabled.stdout.trim() === "enabled";
    }
    return (await this.ctl.settledState(this.name, this.startSeconds + 5)) === "RUNNING";
  }

  override async verify(): Promise<void> {
    if (!(await this.running())) {
      this.log(`start ${this.name}: not running`);
      throw new UpdateNeeded(`${this.name} is not running`);
    }
    if (this.subComponents.some((child) => child.changed)) {
      this.log(`restart ${this.name}: its ${this.backend.kind === "systemd" ? "unit" : "program"} file changed`);
      throw new UpdateNeeded("config changed");
    }
    const siblings = this.parent?.subComponents ?? [];
    const changed = siblings.slice(0, Math.max(0, siblings.indexOf(this))).find((sibling) => sibling.changed);
    if (changed) {
      this.log(`restart ${this.name}: ${changed.breadcrumbs} changed`);
      throw new UpdateNeeded(`${changed.breadcrumbs} changed`);
    }
  }

  override async update(): Promise<void> {
    if (this.backend.kind === "supervisor") {
      await this.ctl.start(this.name, { kind: "service", seconds: this.startSeconds + 10, context: { config: this.configPath } });
      return;
    }
    for (const argv of systemdStart(this.unitScope, this.name)) await this.run(argv, argv.filter((word) => word !== "--user" && word !== this.name).join(" "));
    const deadline = Date.now() + (this.startSeconds + 10) * 1000;
    while (!(await this.running())) {
      const failed = (await this.run(this.systemctl("is-failed", this.name), "systemctl is-failed", true)).stdout.trim() === "failed";
      if (failed || Date.now() > deadline) {
        const status = await this.run(this.systemctl("status", "--no-pager", this.name), "systemctl status", true);
        throw new DeploymentError(`service ${this.name} did not start`, {
          component: this.breadcrumbs,
          status: lastLines(status.stdout, 5),
          log: (await this.journalTail()) || undefined,
          config: this.configPath,
        });
      }
      await Bun.sleep(250);
    }
  }

  /** The end of the service's journal. */
  private async journalTail(): Promise<string> {
    return lastLines((await this.run(journalArgv(this.unitScope, this.name, LOG_TAIL_LINES), "journalctl", true)).stdout);
  }
}

/** The options of {@link Service}: `command` is required. */
export type ServiceOptions =
  Pick<Service, "command"> &
  Partial<
    Pick<
      Service,
      "directory" | "env" | "user" | "description" | "manager" | "startSeconds" | "systemdOptions" | "unitDir" | "supervisorOptions" | "supervisorConfDir" | "supervisorctl" | "logFile"
    >
  >;

/**
 * Part of `Service`: checks, before the unit or program file is written and
 * under `-P` too, that the chosen manager can be used by this user.
 */
class ManagerCheck extends Component {
  override async verify(): Promise<void> {
    (this.parent as Service).assertManagerUsable();
  }
}
