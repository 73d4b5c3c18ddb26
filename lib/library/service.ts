/**
 * `Service`: a long-running program kept running. Where systemd runs
 * (`/run/systemd/system` exists) it becomes a systemd unit — a system unit
 * when batou runs as root, else a user unit (`systemctl --user`); elsewhere a
 * supervisord program (a config file in supervisor's include folder, applied
 * with `supervisorctl reread` / `update`). The service is (re)started when it
 * is not running, when its unit/program file changed, or when a component
 * added before it in the same parent changed (a new config file or release).
 *
 * @example
 * ```ts
 * this.add(new File("app.conf", { content: "port = 8080\n" }));
 * this.add(new Service("myapp", { command: "bin/app --config app.conf", env: { NODE_ENV: "production" } }));
 * ```
 */
import { existsSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { isAbsolute, join } from "node:path";
import { CommandError, Component, ConfigurationError, DeploymentError, UpdateNeeded } from "../batou-core.ts";
import { File } from "./file.ts";

export type ServiceManager = "auto" | "systemd" | "supervisor";

export interface ServiceOptions {
  /** The program and its arguments; a relative program path (`bin/app`) is inside the workdir. */
  command: string;
  /** Working directory (default: the workdir). */
  directory?: string;
  /** Environment variables of the program. */
  env?: Record<string, string>;
  /** Run as this user (system units and supervisor running as root only). */
  user?: string;
  description?: string;
  /** `"auto"` (default): systemd where it runs, else supervisor. */
  manager?: ServiceManager;
  /** Seconds the program must stay up to count as started (supervisor `startsecs`). */
  startSeconds?: number;
  /** Extra `Key=value` lines for the unit's `[Service]` section. */
  systemdOptions?: Record<string, string>;
  /** Where unit files go (default `/etc/systemd/system` as root, else `~/.config/systemd/user`). */
  unitDir?: string;
  /** Extra `key=value` lines for the supervisor `[program:NAME]` section. */
  supervisorOptions?: Record<string, string>;
  /** Supervisor's include folder for program files. */
  supervisorConfDir?: string;
  /** The supervisorctl command, e.g. `"supervisorctl -c /srv/supervisord.conf"`. */
  supervisorctl?: string;
  /** Program output (supervisor; default: supervisor's own log folder). */
  logFile?: string;
}

const SYSTEMD_RUNNING = "/run/systemd/system";

/** Quotes a value for systemd's `Environment=`. */
function systemdQuote(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/%/g, "%%")}"`;
}

export class Service extends Component {
  static override namevar = "name";
  name = "";
  command = "";
  directory: string | undefined = undefined;
  env: Record<string, string> = {};
  user: string | undefined = undefined;
  description: string | undefined = undefined;
  manager: ServiceManager = "auto";
  startSeconds = 1;
  systemdOptions: Record<string, string> = {};
  unitDir: string | undefined = undefined;
  supervisorOptions: Record<string, string> = {};
  supervisorConfDir = "/etc/supervisor/conf.d";
  supervisorctl = "supervisorctl";
  logFile: string | undefined = undefined;

  /** Why verify asked for an update. */
  private _reason: "config" | "sibling" | "stopped" = "stopped";

  constructor(name: string, options: ServiceOptions) {
    super(name, options);
  }

  /** The manager in use after configure: `"systemd"` or `"supervisor"`. */
  get resolvedManager(): "systemd" | "supervisor" {
    if (this.manager === "systemd" || this.manager === "supervisor") return this.manager;
    return existsSync(SYSTEMD_RUNNING) ? "systemd" : "supervisor";
  }

  private get systemUnit(): boolean {
    return process.getuid?.() === 0;
  }

  /** The unit or program file. */
  get configPath(): string {
    if (this.resolvedManager === "systemd") {
      const dir = this.unitDir ?? (this.systemUnit ? "/etc/systemd/system" : join(homedir(), ".config/systemd/user"));
      return join(this.map(dir), `${this.name}.service`);
    }
    return join(this.map(this.supervisorConfDir), `${this.name}.conf`);
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
    const content = this.resolvedManager === "systemd" ? this.unitFile() : this.programFile();
    this.add(new File(this.configPath, { content, template: false, leadingDirs: true }));
  }

  private header(comment: string): string {
    return `${comment} File is generated by batou for component ${this.breadcrumbs}. Don't edit manually.\n`;
  }

  /** The systemd unit. */
  unitFile(): string {
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
      ...(this.user && this.systemUnit ? [`User=${this.user}`] : []),
      "Restart=always",
      "RestartSec=1",
      ...Object.entries(this.systemdOptions).map(([key, value]) => `${key}=${value}`),
      "",
      "[Install]",
      `WantedBy=${this.systemUnit ? "multi-user.target" : "default.target"}`,
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
      return await this.cmd(argv, { ignoreReturnCode });
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

  private systemctl(...args: string[]): string[] {
    return ["systemctl", ...(this.systemUnit ? [] : ["--user"]), ...args];
  }

  private ctl(...args: string[]): string[] {
    return [...this.supervisorctl.trim().split(/\s+/), ...args];
  }

  /** Whether the service runs now (and, for systemd, starts at boot). */
  async running(): Promise<boolean> {
    if (this.resolvedManager === "systemd") {
      const active = await this.run(this.systemctl("is-active", this.name), "systemctl is-active", true);
      const enabled = await this.run(this.systemctl("is-enabled", this.name), "systemctl is-enabled", true);
      return active.stdout.trim() === "active" && enabled.stdout.trim() === "enabled";
    }
    const status = await this.run(this.ctl("status", this.name), "supervisorctl status", true);
    return /\bRUNNING\b/.test(status.stdout);
  }

  /** True when the manager gave up on the program. */
  private async failed(): Promise<boolean> {
    if (this.resolvedManager === "systemd") {
      return (await this.run(this.systemctl("is-failed", this.name), "systemctl is-failed", true)).stdout.trim() === "failed";
    }
    return /\bFATAL\b/.test((await this.run(this.ctl("status", this.name), "supervisorctl status", true)).stdout);
  }

  override async verify(): Promise<void> {
    const config = this.subComponents.find((child) => child.changed);
    if (config) {
      this.log(`restart ${this.name}: its ${this.resolvedManager === "systemd" ? "unit" : "program"} file changed`);
      this._reason = "config";
      throw new UpdateNeeded("config changed");
    }
    const siblings = this.parent?.subComponents ?? [];
    const changed = siblings.slice(0, Math.max(0, siblings.indexOf(this))).find((sibling) => sibling.changed);
    if (changed) {
      this.log(`restart ${this.name}: ${changed.breadcrumbs} changed`);
      this._reason = "sibling";
      throw new UpdateNeeded(`${changed.breadcrumbs} changed`);
    }
    if (!(await this.running())) {
      this._reason = "stopped";
      this.log(`start ${this.name}: not running`);
      throw new UpdateNeeded(`${this.name} is not running`);
    }
  }

  override async update(): Promise<void> {
    if (this.resolvedManager === "systemd") {
      await this.run(this.systemctl("daemon-reload"), "systemctl daemon-reload");
      await this.run(this.systemctl("enable", this.name), "systemctl enable");
      await this.run(this.systemctl("restart", this.name), "systemctl restart");
    } else {
      await this.run(this.ctl("reread"), "supervisorctl reread");
      // `update` (re)starts a program whose configuration is new or changed
      await this.run(this.ctl("update", this.name), "supervisorctl update");
      if (this._reason !== "config" || !(await this.running())) await this.run(this.ctl("restart", this.name), "supervisorctl restart", true);
    }
    const deadline = Date.now() + (this.startSeconds + 10) * 1000;
    while (!(await this.running())) {
      if (Date.now() > deadline || (await this.failed())) {
        const status =
          this.resolvedManager === "systemd"
            ? await this.run(this.systemctl("status", "--no-pager", this.name), "systemctl status", true)
            : await this.run(this.ctl("status", this.name), "supervisorctl status", true);
        throw new DeploymentError(`service ${this.name} did not start`, {
          component: this.breadcrumbs,
          status: status.stdout.trim().split("\n").slice(0, 5).join("\n"),
          config: this.configPath,
        });
      }
      await Bun.sleep(250);
    }
  }
}
