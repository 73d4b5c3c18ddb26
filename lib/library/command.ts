import { existsSync } from "node:fs";
import { CommandError, Component, ConfigurationError, DeploymentError, UpdateNeeded } from "../batou-core.ts";

/**
 * `Command`: a one-off step, run through `sh -c` in the workdir when the path
 * `creates` does not exist, or when the check command `unless` fails (exits
 * non-zero). One of them is required, so a second deploy does not run the
 * command again. `unless` also runs under `-P`: it must only look, never
 * change anything; on a fresh host, where the working directory does not
 * exist yet, it runs in an empty stand-in for it (so a check for a file
 * there fails and the command "would run"). After running, `creates` must
 * exist.
 *
 * @example
 * ```ts
 * this.add(new Command("tar -xf data.tar && touch data/.ready", { creates: "data/.ready" }));
 * this.add(new Command("bin/migrate", { unless: "bin/migrate --check" }));
 * ```
 */
export class Command extends Component {
  static override namevar = "command";
  /** The shell command, run through `sh -c`. */
  command = "";
  /** A path (relative to the workdir) the command creates: it runs while the path is missing. */
  creates: string | undefined = undefined;
  /** A check command: the command runs when this one fails. */
  unless: string | undefined = undefined;
  /** Working directory (default: the workdir). */
  cwd: string | undefined = undefined;
  /** Extra environment variables. */
  env: Record<string, string> = {};
  /** Seconds before the command is killed (0: no limit). */
  timeout = 0;

  constructor(command: string, options: CommandStepOptions = {}) {
    super(command, options);
  }

  override get breadcrumb(): string {
    const text = this.command.length > 60 ? `${this.command.slice(0, 57)}...` : this.command;
    return `Command('${text}')`;
  }

  override configure(): void {
    if (!this.command.trim()) throw new ConfigurationError("Command needs a command", { component: this.breadcrumbs });
    if (this.creates === undefined && this.unless === undefined) {
      throw new ConfigurationError(`Command('${this.command}') needs creates or unless, or it would run on every deploy`, {
        component: this.breadcrumbs,
        hint: 'to run it on every deploy on purpose, use { unless: "false" }',
      });
    }
  }

  private options(timeout = this.timeout) {
    return { cwd: this.map(this.cwd ?? "."), env: this.env, timeout: timeout || undefined };
  }

  override async verify(): Promise<void> {
    if (this.creates !== undefined && !existsSync(this.map(this.creates))) {
      this.log(`run: ${this.command} (${this.map(this.creates)} does not exist)`);
      throw new UpdateNeeded(`${this.creates} does not exist`);
    }
    if (this.unless !== undefined) {
      const check = await this.cmd(this.unless, { ...this.options(), ignoreReturnCode: true });
      if (check.code !== 0) {
        const cwd = this.options().cwd;
        const fresh = this.predicting && !existsSync(cwd) ? `, in an empty stand-in for ${cwd}, which would be created` : "";
        this.log(`run: ${this.command} (check "${this.unless}" exited with ${check.code}${fresh})`);
        throw new UpdateNeeded(`${this.unless} failed`);
      }
    }
  }

  override async update(): Promise<void> {
    try {
      await this.cmd(this.command, this.options());
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      throw new DeploymentError(error.message, { ...error.context, component: this.breadcrumbs, stdout: error.stdout.trim().slice(-2000) || undefined });
    }
    if (this.creates !== undefined && !existsSync(this.map(this.creates))) {
      throw new DeploymentError(`the command succeeded but did not create ${this.map(this.creates)}`, {
        component: this.breadcrumbs,
        command: this.command,
      });
    }
  }
}

/** The options of {@link Command}. */
export type CommandStepOptions = Partial<Pick<Command, "creates" | "unless" | "cwd" | "env" | "timeout">>;
