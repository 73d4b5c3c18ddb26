/**
 * `connect_method = "ssh"`: a HostConnection over ONE SSH connection per host
 * for the whole run. `open()`:
 *
 * 1. connect (bounded concurrency across hosts, retry with back-off for
 *    refused/unreachable hosts; `timeout` bounds each attempt);
 * 2. probe in one command: architecture, the absolute target directory, the
 *    sha256 of the shipped executable (as the service user through
 *    `sudo -n -H -u USER` when it differs from the login user);
 * 3. ship the standalone executable to `TARGET/.batou/batou-VERSION` when it
 *    is missing or different (rsync, delta);
 * 4. start the agent on an exec channel (`cd TARGET && exec .batou/batou-VERSION agent`)
 *    and check the protocol hello;
 * 5. take the target directory's lock (held by the agent);
 * 6. rsync the project (delta, with delete; never secrets, work/, .git, ...);
 * 7. `setup`: the agent loads and configures the environment.
 *
 * Every step but a root's deploy is bounded by the environment's `timeout`.
 * `close()` ends the agent's stdin (it exits, releasing its lock), then the
 * connection (which also signals TERM to anything left).
 *
 * @module
 */
import type { ClientChannel } from "ssh2";
import type { DeployRootRequest, HostConnection } from "../engine/connection.ts";
import type { DeploymentOptions } from "../engine/deployment.ts";
import type { Environment, SecretsData } from "../engine/environment.ts";
import { BatouError, DeploymentError } from "../engine/errors.ts";
import type { EventSink } from "../engine/events.ts";
import type { Host } from "../engine/host.ts";
import { AgentClient } from "./agent-client.ts";
import { SshError } from "./errors.ts";
import { archOf, executableName, remoteIsCurrent, shippableExecutable } from "./executable.ts";
import type { LockOwner } from "./protocol.ts";
import { connectWithRetry } from "./retry.ts";
import { DEFAULT_EXCLUDES, shellQuote, shipDirectory, type ShipResult } from "./rsync.ts";
import { SshConnection } from "./ssh-connection.ts";

/** What all hosts of one run share. */
export interface RemoteRun {
  projectRoot: string;
  environment: Environment;
  secrets?: SecretsData;
  owner: LockOwner;
  platform?: string;
  debug: (line: string) => void;
  debugMode: boolean;
  /** At most this many SSH handshakes at once (jump hosts and sshd MaxStartups). */
  connectSlots: Semaphore;
  connectAttempts: number;
  /** Seconds of the first back-off wait (doubles per attempt, with jitter). */
  backoffSeconds: number;
}

/** What the project rsync leaves out (anchored at the project root, except `*.nacl`). */
export const PROJECT_EXCLUDES = [...new Set([...DEFAULT_EXCLUDES, "/.batou", "/.batou-lock"])];

export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly size: number) {}
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await work();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/** A transport failure as a user-facing error about the host. */
function hostError(error: unknown, host: string, step: string): BatouError {
  if (error instanceof BatouError) {
    error.context.host ??= host;
    return error;
  }
  if (error instanceof SshError) {
    const message = error.message.startsWith(`${error.host}: `) ? error.message.slice(error.host.length + 2) : error.message;
    return new DeploymentError(`${step} failed on host ${host}: ${message}`, { host, step, kind: error.kind });
  }
  return new DeploymentError(`${step} failed on host ${host}: ${(error as Error)?.message ?? String(error)}`, { host, step });
}

function withTimeout<T>(promise: Promise<T>, seconds: number, what: string, host: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeploymentError(`${what} on host ${host} did not finish within ${seconds} s (timeout)`, { host })), seconds * 1000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class SshHostConnection implements HostConnection {
  private conn?: SshConnection;
  private channel?: ClientChannel;
  private client?: AgentClient;
  private closing?: Promise<void>;
  private stderrTail: string[] = [];
  /** Absolute target directory on the host. */
  target?: string;
  /** Bytes this connection sent: rsync (executable, project) and protocol. */
  readonly bytes = { executable: 0, project: 0, protocol: 0 };

  constructor(
    readonly host: Host,
    private readonly run: RemoteRun,
  ) {}

  private get timeout(): number {
    return this.run.environment.settings.timeout;
  }

  private get sudoUser(): string | undefined {
    const service = this.host.serviceUser;
    return service && this.conn && service !== this.conn.settings.user ? service : undefined;
  }

  private sudo(command: string): string {
    const user = this.sudoUser;
    return user ? `sudo -n -H -u ${shellQuote(user)} sh -c ${shellQuote(command)}` : command;
  }

  private checkOpen(): void {
    if (this.closing) throw new DeploymentError(`the connection to host ${this.host.name} was closed`, { host: this.host.name });
  }

  async open(emit: EventSink): Promise<void> {
    const name = this.host.name;
    const { debug } = this.run;
    const stepStart = () => performance.now();
    const since = (t: number) => (performance.now() - t) / 1000;

    // 1. connect
    let t = stepStart();
    emit({ event: "host", host: name, status: "connecting", detail: this.host.fqdn });
    try {
      this.conn = await connectWithRetry(
        () =>
          this.run.connectSlots.run(() =>
            SshConnection.open(this.host.fqdn, {
              projectRoot: this.run.projectRoot,
              timeoutSeconds: this.timeout,
              log: (line) => debug(`${name}: ssh: ${line}`),
              warn: (line) => emit({ event: "warning", host: name, message: line }),
            }),
          ),
        {
          attempts: this.run.connectAttempts,
          backoff: this.run.backoffSeconds,
          onRetry: (error, attempt, wait) =>
            emit({ event: "warning", host: name, message: `${(error as Error).message} (attempt ${attempt} of ${this.run.connectAttempts}); retrying in ${wait.toFixed(1)} s` }),
        },
      );
    } catch (error) {
      const e = hostError(error, name, "connecting");
      if (error instanceof SshError && (error.kind === "connect" || error.kind === "timeout")) {
        e.message = `host ${name} is unreachable after ${this.run.connectAttempts} attempt(s): ${e.message.replace(/^connecting failed on host \S+: /, "")}`;
      }
      throw e;
    }
    if (this.closing) {
      await this.conn.close();
      this.checkOpen();
    }
    const conn = this.conn;
    emit({ event: "host", host: name, status: "connected", seconds: since(t), detail: `${since(t).toFixed(2)} s, ${conn.settings.user}@${conn.settings.hostName}, ${conn.negotiated.kex}` });

    // 2. probe: architecture, target directory, shipped executable
    t = stepStart();
    const exe = executableName();
    const targetDir = this.run.environment.settings.targetDirectory;
    const probeScript = [
      "uname -m",
      `T=${shellQuote(targetDir)}`,
      'case "$T" in /*) ;; "~"/*) T="$HOME/${T#"~/"}" ;; *) T="$HOME/$T" ;; esac',
      'mkdir -p "$T/.batou" && cd "$T" && pwd -P',
      `echo "$(cat .batou/${exe}.sha256 2>/dev/null)"`,
      `echo "$(stat -c '%s %Y' .batou/${exe} 2>/dev/null)"`,
    ].join("; ");
    const probe = await withTimeout(conn.exec(this.sudo(probeScript), { timeoutSeconds: this.timeout }), this.timeout + 1, "probing", name).catch((error) => {
      throw hostError(error, name, "probing");
    });
    if (probe.code !== 0) {
      if (this.sudoUser && /sudo:/.test(probe.stderr)) {
        throw new DeploymentError(`cannot become the service user "${this.sudoUser}" on host ${name} with sudo`, {
          host: name,
          "login user": conn.settings.user,
          "service user": this.sudoUser,
          sudo: probe.stderr.trim().split("\n").slice(-3).join("\n"),
          hint: `allow "${conn.settings.user}" to run commands as "${this.sudoUser}" without a password (sudoers NOPASSWD), or log in as "${this.sudoUser}"`,
        });
      }
      throw new DeploymentError(`cannot prepare the target directory on host ${name}`, {
        host: name,
        "target directory": targetDir,
        "exit code": probe.code ?? probe.signal ?? "?",
        stderr: probe.stderr.trim().split("\n").slice(-5).join("\n") || undefined,
      });
    }
    const [machine = "", target = "", remoteSidecar = "", remoteStat = ""] = probe.stdout.split("\n");
    const arch = archOf(machine, name);
    this.target = target;
    debug(`${name}: ${machine}, target ${target}${this.sudoUser ? ` (as ${this.sudoUser} via sudo)` : ""}, probe ${since(t).toFixed(2)} s`);

    // 3. ship the executable when it is missing or different
    t = stepStart();
    const local = await shippableExecutable(arch, (line) => debug(`${name}: ${line}`));
    debug(`${name}: executable ${local.name} for linux-${arch}: ${local.origin}`);
    if (!remoteIsCurrent(local, remoteSidecar, remoteStat)) {
      this.checkOpen();
      const shipped = await this.rsync(local.dir, `${target}/.batou`, [], ["--fuzzy", "--delete-delay"], "shipping batou");
      this.bytes.executable = shipped.bytesSent;
      emit({ event: "host", host: name, status: "shipped-executable", seconds: since(t), detail: `${since(t).toFixed(2)} s, ${local.size} B executable, ${shipped.bytesSent} B sent` });
    } else {
      debug(`${name}: executable up to date (sha256 ${local.sha256.slice(0, 12)}…)`);
    }

    // 4. start the agent
    t = stepStart();
    this.checkOpen();
    const agentCommand = this.sudo(`cd ${shellQuote(target)} && exec .batou/${exe} agent`);
    debug(`${name}: starting the agent: ${agentCommand}`);
    const channel = await withTimeout(conn.spawn(agentCommand), this.timeout, "starting the agent", name).catch((error) => {
      throw hostError(error, name, "starting the agent");
    });
    this.channel = channel;
    const client = new AgentClient(
      name,
      {
        write: (text) => {
          this.bytes.protocol += text.length;
          channel.write(text);
        },
        end: () => channel.end(),
      },
      (line) => emit({ event: "log", host: name, component: "", message: line }),
    );
    this.client = client;
    let exitCode: number | null = null;
    channel.on("data", (chunk: Buffer) => client.push(chunk));
    channel.stderr.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (!line.trim()) continue;
        this.stderrTail = [...this.stderrTail.slice(-19), line];
        debug(`${name}: agent stderr: ${line}`);
      }
    });
    channel.on("exit", (code: number | null) => (exitCode = code));
    channel.on("close", () => {
      const detail = this.stderrTail.slice(-5).join("\n") || undefined;
      client.closed(this.closing ? "was stopped" : exitCode !== null ? `exited with status ${exitCode}` : "lost its connection", detail);
    });
    const theirs = await withTimeout(client.greeting, this.timeout, "starting the agent", name);
    debug(`${name}: agent pid ${theirs.pid} as ${theirs.user} on ${theirs.hostname}, batou ${theirs.version}, ${since(t).toFixed(2)} s`);

    // 5. the target directory's lock
    const locked = await client.request("lock", { owner: this.run.owner }, { timeoutSeconds: this.timeout });
    if (locked.tookOver) {
      emit({ event: "warning", host: name, message: `took over a stale lock in ${target} (held by pid ${locked.tookOver.pid} on ${locked.tookOver.machine}, which is gone)` });
    }

    // 6. the project
    t = stepStart();
    this.checkOpen();
    const project = await this.rsync(this.run.projectRoot, target, PROJECT_EXCLUDES, [], "shipping the project");
    this.bytes.project = project.bytesSent;
    emit({ event: "host", host: name, status: "shipped", seconds: since(t), detail: `${since(t).toFixed(2)} s, ${project.filesTransferred} file(s) changed, ${project.bytesSent} B sent` });

    // 7. configure on the host
    t = stepStart();
    const setup = await client.request(
      "setup",
      {
        environment: this.run.environment.name,
        host: name,
        platform: this.run.platform,
        timeout: this.run.environment.settings.timeout,
        secrets: this.run.secrets,
        debug: this.run.debugMode,
      },
      { timeoutSeconds: this.timeout },
    );
    const sent = this.bytes.executable + this.bytes.project + this.bytes.protocol;
    emit({
      event: "host",
      host: name,
      status: "configured",
      seconds: since(t),
      detail: `${since(t).toFixed(2)} s (agent configure ${setup.seconds.toFixed(2)} s), ${setup.roots.length} root(s), ${setup.rounds} round(s); ${sent} B sent in total (executable ${this.bytes.executable}, project ${this.bytes.project}, protocol ${this.bytes.protocol})`,
    });
  }

  private async rsync(localDir: string, remoteDir: string, excludes: string[], extraArgs: string[], step: string): Promise<ShipResult> {
    try {
      return await shipDirectory(this.conn!, localDir, remoteDir, {
        excludes,
        extraArgs,
        sudoUser: this.sudoUser,
        timeoutSeconds: this.timeout,
        log: (line) => this.run.debug(`${this.host.name}: ${line}`),
      });
    } catch (error) {
      throw hostError(error, this.host.name, step);
    }
  }

  async deployRoot(request: DeployRootRequest, emit: EventSink): Promise<number> {
    if (!this.client) throw new DeploymentError(`host ${this.host.name} is not connected`, { host: this.host.name });
    const result = await this.client.request("deploy", request, { emit });
    return result.changed;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const channel = this.channel;
      if (channel) {
        // EOF: the agent releases its lock and exits; then the connection goes (TERM for leftovers).
        const closed = new Promise<void>((resolve) => channel.once("close", () => resolve()));
        try {
          this.client?.end();
        } catch {}
        await Promise.race([closed, Bun.sleep(3000)]);
      }
      await this.conn?.close();
    })();
    return this.closing;
  }
}
