/**
 * `connect_method = "exec"`: a host reached through a local command that
 * runs a program inside it with stdin and stdout connected
 * (`["podman", "exec", "-i", "{host}"]`, `docker exec -i`, `incus exec`,
 * `kubectl exec -i {host} --`, `nsenter ...`). Every remote command is that
 * argv (`{host}` replaced by the host's name) followed by `sh -c COMMAND`;
 * no shell ever reads the argv itself.
 *
 * `open()` runs one probe through it ({@link EXEC_PROBE}): it proves the
 * host can be entered (else the command's own error, e.g. "no such
 * container", is the message), tells the user the command runs as (a
 * different `service_user` then goes through sudo, as over SSH) and whether
 * the host has rsync: rsync runs through the rsh bridge over this transport,
 * and without rsync the shipments are tar streams (ship/stream-tree.ts).
 *
 * Each command runs in a process group of its own (local-process.ts), so a
 * Ctrl-C at the terminal reaches batou only, which stops the agents in order.
 *
 * @module
 */
import { DeploymentError } from "../../engine/errors.ts";
import { EXEC_PROBE, execArgv, execCommandArgv, parseExecProbe, shellQuote, validTargetName } from "../commands.ts";
import { isRunning, type LocalProcess, runLocal, signalGroup, startLocal } from "../local-process.ts";
import { bridgeShell } from "../ship/rsh-server.ts";
import { describeCommand } from "../ssh/exec.ts";
import { SshError } from "../ssh/ssh-error.ts";
import type { RemoteProcess, RsyncShell, Transport } from "../transport.ts";

/** Options of {@link ExecTransport.open}. */
export interface ExecOptions {
  /** Deadline for the probe, in seconds. */
  timeoutSeconds: number;
  log?: (line: string) => void;
}

/** The link to one host through its exec command. */
export class ExecTransport implements Transport {
  private readonly running = new Set<LocalProcess>();
  private readonly rsyncShells = new Set<RsyncShell>();
  private closing: Promise<void> | null = null;

  private constructor(
    readonly host: string,
    /** The exec command for this host (`{host}` replaced). */
    readonly argv: readonly string[],
    readonly user: string,
    /** Whether the host has rsync (else directories are streamed as tar archives). */
    readonly remoteRsync: boolean,
  ) {}

  /** Enters host `name` through `template` (`exec` of the environment) once, to learn its user and whether it has rsync. */
  static async open(name: string, template: readonly string[], options: ExecOptions): Promise<ExecTransport> {
    if (!validTargetName(name)) {
      throw new DeploymentError(`host name ${JSON.stringify(name)} cannot be used with connect_method = "exec"`, {
        host: name,
        expected: "letters, digits, '.', '_' and '-', not starting with '-' (it replaces {host} in the exec command)",
      });
    }
    const argv = execArgv(template, name);
    const shown = argv.map(shellQuote).join(" ");
    const context = { host: name, "exec command": shown };
    options.log?.(`entering with ${shown}`);
    const began = performance.now();
    const { ended, stdout, stderr, startError } = await runLocal(execCommandArgv(argv, EXEC_PROBE), options);
    if (startError) {
      const why = startError.code === "ENOENT" ? `${argv[0]} is not installed here (not found on PATH)` : startError.message;
      throw new DeploymentError(`cannot run the exec command for host ${name}: ${why}`, context);
    }
    if (ended === "timeout") {
      throw new SshError(name, "timeout", `the exec command did not answer within ${options.timeoutSeconds} s (timeout)`, { context: { "exec command": shown, stderr: stderr || undefined } });
    }
    const probe = ended.code === 0 ? parseExecProbe(stdout) : undefined;
    if (!probe) {
      const how = ended.signal ? `was killed by signal SIG${ended.signal}` : `exited with status ${ended.code}`;
      const last = stderr.split("\n").at(-1);
      throw new DeploymentError(`cannot enter host ${name} with its exec command: it ${how}${last ? `: ${last}` : ""}`, {
        ...context,
        stderr: stderr || undefined,
        stdout: stdout ? stdout.slice(0, 500) : undefined,
        hint: ended.code === 0 ? "the host needs a POSIX sh with id and command -v" : undefined,
      });
    }
    options.log?.(`entered as ${probe.user} in ${(performance.now() - began).toFixed(0)} ms, ${probe.rsync ? "with" : "without"} rsync`);
    return new ExecTransport(name, argv, probe.user, probe.rsync);
  }

  get description(): string {
    return `${describeCommand(this.argv.join(" "))} as ${this.user}${this.remoteRsync ? "" : ", no rsync (tar streams)"}`;
  }

  /** Starts `command` (shell text) on the host: the exec command with `sh -c COMMAND`. */
  async spawn(command: string): Promise<RemoteProcess> {
    if (this.closing) throw new SshError(this.host, "closed", `connection already closed (wanted: ${describeCommand(command)})`);
    const started = startLocal(execCommandArgv(this.argv, command));
    this.running.add(started);
    void started.remote.exit.then(() => this.running.delete(started));
    return started.remote;
  }

  /** rsync's remote shell: the rsh bridge, relaying to commands started by {@link spawn}. */
  async rsyncShell(allow: (command: string) => boolean, log?: (line: string) => void): Promise<RsyncShell> {
    if (this.closing) throw new SshError(this.host, "closed", "connection already closed (wanted: rsync)");
    return bridgeShell(this, { allow, log }, this.rsyncShells);
  }

  /** Stops the rsh bridges, then TERM to every command still running (KILL after 2 s). Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.rsyncShells].map((shell) => shell.close()));
      const left = [...this.running];
      for (const { child } of left) {
        child.stdin?.destroy();
        signalGroup(child, "SIGTERM");
      }
      await Promise.race([Promise.all(left.map((p) => p.remote.exit)), Bun.sleep(2000)]);
      for (const { child } of left) if (isRunning(child)) signalGroup(child, "SIGKILL");
    })();
    return this.closing;
  }
}
