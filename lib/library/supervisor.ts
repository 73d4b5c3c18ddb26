/**
 * `Supervisor` and `Program` (batou.lib.supervisor): the service user's own
 * supervisord, running in the work directory of the `Supervisor` component
 * and started on deploy, for hosts where the service user cannot write the
 * system's service configuration. It needs the `supervisord` and
 * `supervisorctl` programs (Debian package `supervisor`); nothing is
 * installed at deploy time.
 *
 * `Supervisor` writes `etc/supervisord.conf` (socket `supervisor.sock`, mode
 * 0700; logs in `var/log/`; programs from `etc/supervisor.d/*.conf`), offers
 * itself on its host as the resource `"supervisor"`, starts supervisord when
 * it does not run and reloads it when its configuration changed. With
 * `enable: false` it shuts supervisord down. A `Program` (in any root
 * component on the same host) registers one program with it; a `Service` on a
 * host with a `Supervisor` runs there too. Like in batou, the `Supervisor` is
 * a root component of its own (a root that requires its own resource is a
 * dependency cycle).
 *
 * @example
 * ```ts
 * // components/supervisor/component.ts, deployed once per host
 * this.add(new Supervisor());
 * // in the app's component
 * this.add(new Program("app", { command: "bin/app", args: "--port 8080", options: { startsecs: 2 } }));
 * ```
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join, normalize } from "node:path";
import { CommandError, Component, ConfigurationError, DeploymentError, UpdateNeeded } from "../batou-core.ts";
import { Directory } from "./directory.ts";
import { File } from "./file.ts";
import { lastLines, Supervisorctl } from "./supervisorctl.ts";

/** The resource key under which a host's `Supervisor` is offered. */
export const SUPERVISOR_RESOURCE = "supervisor";

/** Longest unix socket path the kernel takes (sun_path is 108 bytes with its NUL), with room to spare. */
const MAX_SOCKET_PATH = 100;

export interface SupervisorOptions {
  /** `false`: supervisord is shut down (and its programs with it). Default true. */
  enable?: boolean;
  /** supervisord's log level. */
  loglevel?: string;
  /** The pid file (default `supervisord.pid` in the work directory). */
  pidfile?: string;
  /** The control socket (default `supervisor.sock` in the work directory). */
  socketpath?: string;
  /** The supervisord program (default `supervisord` from the PATH). */
  supervisord?: string;
  /** The supervisorctl program (default `supervisorctl` from the PATH). */
  supervisorctl?: string;
  /** Seconds supervisord may take to start, reload or shut down. */
  reloadTimeout?: number;
}

/** Names a program may have (they become file names and supervisorctl arguments). */
const PROGRAM_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Whether process `pid` runs (a zombie its parent has not reaped yet no longer does). */
function processRuns(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/**
 * The service user's own supervisord in this component's work directory:
 * configured, started when it does not run, reloaded when its configuration
 * changed, shut down with `enable: false`; offered on its host as the
 * resource `"supervisor"` for `Program`s and `Service`s.
 */
export class Supervisor extends Component {
  enable = true;
  loglevel = "info";
  pidfile = "supervisord.pid";
  socketpath = "supervisor.sock";
  supervisord = "supervisord";
  supervisorctl = "supervisorctl";
  reloadTimeout = 60;

  private _reason: "start" | "reload" | "stop" = "start";

  constructor(options: SupervisorOptions = {}) {
    super(options);
  }

  /** `etc/supervisord.conf`, absolute. */
  get configFile(): string {
    return this.map("etc/supervisord.conf");
  }

  /** Where program sections go (`etc/supervisor.d`), absolute. */
  get programDir(): string {
    return this.map("etc/supervisor.d");
  }

  /** supervisord's log and the programs' logs (`var/log`), absolute. */
  get logDir(): string {
    return this.map("var/log");
  }

  get pidPath(): string {
    return this.map(this.pidfile);
  }

  get socketPath(): string {
    return this.map(this.socketpath);
  }

  /** The supervisorctl command for this supervisord. */
  get ctlArgv(): string[] {
    return [this.supervisorctl, "-c", this.configFile];
  }

  override configure(): void {
    if (!["debug", "info", "warn", "error", "critical", "trace", "blather"].includes(this.loglevel)) {
      throw new ConfigurationError(`unknown supervisord log level "${this.loglevel}"`, { component: this.breadcrumbs, attribute: "loglevel" });
    }
    this.provide(SUPERVISOR_RESOURCE, this);
    this.add(new Directory(this.programDir, { leadingDirs: true }));
    this.add(new Directory(this.logDir, { leadingDirs: true }));
    this.add(new File(this.configFile, { content: this.configText(), template: false }));
  }

  /** supervisord's configuration. */
  configText(): string {
    return [
      `; File is generated by batou for component ${this.breadcrumbs}. Don't edit manually.`,
      "[supervisord]",
      `childlogdir = ${this.logDir}`,
      `logfile = ${join(this.logDir, "supervisord.log")}`,
      "logfile_maxbytes = 0",
      "logfile_backups = 0",
      `loglevel = ${this.loglevel}`,
      `pidfile = ${this.pidPath}`,
      `directory = ${this.workdir}`,
      "umask = 022",
      "nodaemon = false",
      "",
      "[unix_http_server]",
      `file = ${this.socketPath}`,
      "chmod = 0700",
      "",
      "[supervisorctl]",
      `serverurl = unix://${this.socketPath}`,
      "",
      "[rpcinterface:supervisor]",
      "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
      "",
      "[include]",
      `files = ${join(this.programDir, "*.conf")}`,
      "",
    ].join("\n");
  }

  /** The pid of the running supervisord, if it runs and answers. */
  async pid(): Promise<number | undefined> {
    const result = await new Supervisorctl(this, this.ctlArgv).run(["pid"]);
    const pid = Number(result.stdout.trim());
    return result.code === 0 && Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }

  override async verify(): Promise<void> {
    if (this.socketPath.length > MAX_SOCKET_PATH) {
      throw new DeploymentError(`the socket path ${this.socketPath} is too long for a unix socket`, {
        component: this.breadcrumbs,
        hint: 'set a shorter one, e.g. { socketpath: "/tmp/<name>.sock" }',
      });
    }
    const pid = await this.pid();
    if (!this.enable) {
      if (pid === undefined) return;
      this._reason = "stop";
      this.log(`shut down supervisord (pid ${pid})`);
      throw new UpdateNeeded("supervisord runs but is disabled");
    }
    if (pid === undefined) {
      await this.assertInstalled();
      this._reason = "start";
      this.log(`start supervisord (${this.configFile})`);
      throw new UpdateNeeded("supervisord does not run");
    }
    const changed = this.subComponents.some((child) => child.changed);
    const stale = !existsSync(this.pidPath) || statSync(this.pidPath).mtimeMs < statSync(this.configFile).mtimeMs;
    if (changed || stale) {
      this._reason = "reload";
      this.log(`reload supervisord (pid ${pid}): its configuration changed`);
      throw new UpdateNeeded("supervisord's configuration changed");
    }
  }

  private async assertInstalled(): Promise<void> {
    try {
      await this.cmd([this.supervisord, "--version"]);
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      throw new DeploymentError(error.exitCode === 127 ? `${this.supervisord} is not installed (Debian package supervisor)` : `${this.supervisord} --version failed`, {
        ...error.context,
        component: this.breadcrumbs,
      });
    }
  }

  override async update(): Promise<void> {
    const ctl = new Supervisorctl(this, this.ctlArgv);
    if (this._reason === "stop") {
      const pid = await this.pid();
      await ctl.run(["shutdown"]);
      // its socket goes first; the daemon lives on while it stops its programs
      await this.waitFor(async () => (await this.pid()) === undefined && (pid === undefined || !processRuns(pid)), "shut down");
      return;
    }
    if (this._reason === "reload") {
      await ctl.run(["reload"]);
    } else {
      try {
        // supervisord daemonizes: it returns once the daemon is forked
        await this.cmd([this.supervisord, "-c", this.configFile]);
      } catch (error) {
        if (!(error instanceof CommandError)) throw error;
        throw this.failure("supervisord did not start", error.stderr.trim() || error.stdout.trim());
      }
    }
    await this.waitFor(async () => (await this.pid()) !== undefined, this._reason === "reload" ? "reload" : "start");
  }

  private async waitFor(done: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + this.reloadTimeout * 1000;
    while (!(await done())) {
      if (Date.now() > deadline) throw this.failure(`supervisord did not ${what} within ${this.reloadTimeout} seconds`);
      await Bun.sleep(200);
    }
  }

  private failure(message: string, output?: string): DeploymentError {
    const logFile = join(this.logDir, "supervisord.log");
    const log = existsSync(logFile) ? lastLines(readFileSync(logFile, "utf8")) : undefined;
    return new DeploymentError(message, { component: this.breadcrumbs, config: this.configFile, output: output || undefined, log: log || undefined });
  }
}

export interface ProgramOptions {
  /** The program; relative to the work directory unless `commandAbsolute: false` or absolute. */
  command: string;
  /** Arguments appended to the command. */
  args?: string;
  /** Make a relative `command` absolute in the work directory (default true, as batou). */
  commandAbsolute?: boolean;
  /** Working directory of the program (default: the work directory). */
  directory?: string;
  /** supervisor's `priority`. */
  priority?: number;
  /** More `key = value` lines for the program section (`startsecs` 5 and `startretries` 3 by default). */
  options?: Record<string, string | number | boolean>;
  /** `false`: the program is kept stopped. */
  enable?: boolean;
  /** `"cold"`: stopped before any component before it in the tree updates; `"hot"` (default): keeps running. */
  deployment?: "hot" | "cold";
  /** Components whose change restarts the program (default: its parent and the parent's children). */
  dependencies?: Component[];
}

/**
 * One program of the host's `Supervisor`: its `[program:NAME]` file, started
 * when it does not run, restarted when that file or one of its dependencies
 * changed, kept stopped with `enable: false`; a program that does not start
 * is an error with the tail of its log.
 */
export class Program extends Component {
  static override namevar = "name";
  name = "";
  command = "";
  args = "";
  commandAbsolute = true;
  directory: string | undefined = undefined;
  priority = 10;
  options: Record<string, string | number | boolean> = {};
  enable = true;
  deployment: "hot" | "cold" = "hot";
  dependencies: Component[] | undefined = undefined;

  /** The host's supervisor, found in configure. */
  supervisor!: Supervisor;
  private _stopped = false;

  constructor(name: string, options: ProgramOptions) {
    super(name, options);
  }

  /** The program file in the supervisor's `etc/supervisor.d`. */
  get configPath(): string {
    return join(this.supervisor.programDir, `${this.name}.conf`);
  }

  get commandLine(): string {
    const command = this.commandAbsolute && !isAbsolute(this.command) ? normalize(join(this.workdir, this.command)) : this.command;
    return this.args ? `${command} ${this.args}` : command;
  }

  /** The section options: batou's defaults, then the given ones. */
  get sectionOptions(): Record<string, string | number | boolean> {
    return { startsecs: 5, startretries: 3, ...this.options };
  }

  override configure(): void {
    if (!PROGRAM_NAME.test(this.name)) {
      throw new ConfigurationError(`invalid program name "${this.name}"`, { component: this.breadcrumbs, expected: "letters, digits, _ . -" });
    }
    if (!this.command?.trim()) throw new ConfigurationError(`\`command\` option missing for program ${this.name}`, { component: this.breadcrumbs });
    if (this.deployment !== "hot" && this.deployment !== "cold") {
      throw new ConfigurationError(`unknown deployment "${this.deployment}" for program ${this.name}`, { component: this.breadcrumbs, expected: "hot, cold" });
    }
    for (const [key, value] of Object.entries(this.options)) {
      if (!/^[a-z_]+$/.test(key) || /[\n\r]/.test(String(value))) {
        throw new ConfigurationError(`invalid supervisor option ${key} for program ${this.name}`, { component: this.breadcrumbs, attribute: "options" });
      }
    }
    this.supervisor = this.requireOne<Supervisor>(SUPERVISOR_RESOURCE, { host: this.host });
    this.add(new File(this.configPath, { content: this.programText(), template: false }));
    this.on("before-update", () => this.evade(), { scope: "precursor" });
  }

  /** The `[program:NAME]` section. */
  programText(): string {
    const log = join(this.supervisor.logDir, `${this.name}.log`);
    return [
      `; File is generated by batou for component ${this.breadcrumbs}. Don't edit manually.`,
      `[program:${this.name}]`,
      `command = ${this.commandLine.replace(/%/g, "%%")}`,
      `process_name = ${this.name}`,
      `directory = ${this.directory ? this.map(this.directory) : this.workdir}`,
      `priority = ${this.priority}`,
      `stderr_logfile = ${log}`,
      "stderr_logfile_backups = 0",
      "stderr_logfile_maxbytes = 0",
      `stdout_logfile = ${log}`,
      "stdout_logfile_backups = 0",
      "stdout_logfile_maxbytes = 0",
      "redirect_stderr = true",
      ...Object.entries(this.sectionOptions).map(([key, value]) => `${key} = ${value}`),
      "",
    ].join("\n");
  }

  private get ctl(): Supervisorctl {
    return new Supervisorctl(this, this.supervisor.ctlArgv);
  }

  private get startSeconds(): number {
    return Number(this.sectionOptions.startsecs) || 0;
  }

  /** Cold deployment: stop the program (once) before an earlier component updates. */
  private async evade(): Promise<void> {
    if (this.deployment !== "cold" || this._stopped) return;
    this._stopped = true;
    this.log(`stopping ${this.name} for a cold deployment`);
    await this.ctl.stop(this.name).catch(() => undefined);
  }

  override async verify(): Promise<void> {
    if (!this.supervisor.enable) return;
    const state = await this.ctl.settledState(this.name, this.startSeconds + 5);
    if (!this.enable) {
      if (state !== "RUNNING") return;
      this.log(`stop ${this.name} (disabled)`);
      throw new UpdateNeeded(`${this.name} runs but is disabled`);
    }
    if (state !== "RUNNING") {
      this.log(`start ${this.name} (${state ? `now ${state}` : "not known to supervisord yet"})`);
      throw new UpdateNeeded(`${this.name} is not running`);
    }
    if (this.changed) {
      this.log(`restart ${this.name}: its program file changed`);
      throw new UpdateNeeded("program file changed");
    }
    for (const dependency of this.dependencies ?? (this.parent ? [this.parent] : [])) {
      // the component that changed itself, rather than its parent that changed with it
      const changed = [...dependency.subComponents, dependency].find((component) => component.changed && component !== this);
      if (changed) {
        this.log(`restart ${this.name}: ${changed.breadcrumbs} changed`);
        throw new UpdateNeeded(`${changed.breadcrumbs} changed`);
      }
    }
  }

  override async update(): Promise<void> {
    if (!this.enable) {
      await this.ctl.run(["reread"]);
      await this.ctl.run(["update", this.name]);
      await this.ctl.stop(this.name);
      return;
    }
    await this.ctl.start(this.name, {
      kind: "program",
      seconds: this.startSeconds * (Number(this.sectionOptions.startretries) + 1) + 10,
      context: { config: this.configPath },
    });
  }
}
