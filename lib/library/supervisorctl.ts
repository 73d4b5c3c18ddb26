/**
 * Talking to a supervisord through `supervisorctl`, on behalf of a component
 * (`Service`, `Program`, `Supervisor`): program states, starting a program
 * after its configuration changed, waiting until it runs, and the tail of its
 * log for the error when it does not. Not a component itself.
 *
 * @example
 * ```ts
 * const ctl = new Supervisorctl(this, ["supervisorctl", "-c", "/srv/app/etc/supervisord.conf"]);
 * if ((await ctl.state("app")) !== "RUNNING") await ctl.start("app", { kind: "program", seconds: 15 });
 * ```
 */
import { type CommandResult, CommandError, type Component, DeploymentError } from "../batou-core.ts";

/** States of a supervisor program that are not final: wait for them to settle. */
const TRANSIENT = new Set(["STARTING", "BACKOFF", "STOPPING"]);

/** Lines of a program's log shown when it does not start. */
export const LOG_TAIL_LINES = 20;

/** The program's state in `supervisorctl status NAME` output (`RUNNING`, `FATAL`, ...), if it names one. */
export function parseState(name: string, output: string): string | undefined {
  for (const line of output.split("\n")) {
    const [first, state] = line.trim().split(/\s+/);
    if (first === name && state && /^[A-Z_]+$/.test(state)) return state;
  }
  return undefined;
}

/** The last `lines` non-empty lines of `text`. */
export function lastLines(text: string, lines = LOG_TAIL_LINES): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** `supervisorctl` (the given argv) of one supervisord, run on behalf of `component` (its errors name it). */
export class Supervisorctl {
  constructor(
    private readonly component: Component,
    /** The supervisorctl command, e.g. `["supervisorctl", "-c", "/w/etc/supervisord.conf"]`. */
    readonly argv: string[],
  ) {}

  /** Runs `supervisorctl ARGS` (its exit code is left to the caller: supervisorctl's are unreliable). */
  async run(args: string[]): Promise<CommandResult> {
    try {
      return await this.component.cmd([...this.argv, ...args], { ignoreReturnCode: true });
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      throw new DeploymentError(error.exitCode === 127 ? `${this.argv[0]} is not installed (Debian package supervisor)` : `supervisorctl ${args[0]} failed`, {
        ...error.context,
        component: this.component.breadcrumbs,
      });
    }
  }

  /** The program's state, or undefined when supervisord does not know it (or does not run). */
  async state(name: string): Promise<string | undefined> {
    return parseState(name, (await this.run(["status", name])).stdout);
  }

  /** The state once it is no longer STARTING/BACKOFF/STOPPING (or `seconds` passed). */
  async settledState(name: string, seconds: number): Promise<string | undefined> {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      const state = await this.state(name);
      if (state === undefined || !TRANSIENT.has(state) || Date.now() > deadline) return state;
      await Bun.sleep(200);
    }
  }

  /**
   * Applies the program's (new) configuration and (re)starts it: `reread`,
   * `update NAME` (which restarts a new or changed program), else (the
   * configuration is the same) `restart NAME`; then waits until it runs. A program that does not start within `seconds`
   * (or gives up: FATAL) is an error showing its status and the tail of its log.
   */
  async start(name: string, options: { kind: string; seconds: number; context?: Record<string, string> }): Promise<void> {
    await this.run(["reread"]);
    const update = await this.run(["update", name]);
    const applied = update.stdout.includes(`${name}:`) && !/ERROR/.test(update.stdout);
    if (!applied) await this.run(["restart", name]);
    const deadline = Date.now() + options.seconds * 1000;
    let startedOnce = false;
    for (;;) {
      const state = await this.state(name);
      if (state === "RUNNING") return;
      // stopped, not started by update (autostart=false): start it once
      if ((state === "STOPPED" || state === "EXITED") && !startedOnce) {
        startedOnce = true;
        await this.run(["start", name]);
        continue;
      }
      if (state === "FATAL" || state === undefined || Date.now() > deadline || (startedOnce && !TRANSIENT.has(state))) {
        throw new DeploymentError(`${options.kind} ${name} did not start`, {
          component: this.component.breadcrumbs,
          ...options.context,
          status: lastLines((await this.run(["status", name])).stdout, 5),
          log: (await this.logTail(name)) || undefined,
        });
      }
      await Bun.sleep(200);
    }
  }

  /** Stops the program (nothing when it is not running). */
  async stop(name: string): Promise<void> {
    await this.run(["stop", name]);
  }

  /** The end of the program's log: its stderr log, or its stdout log when stderr goes there. */
  async logTail(name: string, lines = LOG_TAIL_LINES): Promise<string> {
    for (const channel of ["stderr", "stdout"]) {
      const tail = await this.run(["tail", "-8000", name, channel]);
      if (tail.code === 0 && tail.stdout.trim() && !tail.stdout.startsWith(`${name}: ERROR`)) return lastLines(tail.stdout, lines);
    }
    return "";
  }
}
