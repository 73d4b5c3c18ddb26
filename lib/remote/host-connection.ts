/**
 * `connect_method = "ssh"`: a HostConnection over ONE SSH connection per host
 * for the whole run. `open()`:
 *
 * 1. connect (bounded concurrency across hosts, retry with back-off for
 *    refused/unreachable hosts; `timeout` bounds each attempt);
 * 2. launch (launch.ts): one command that enters the target directory and
 *    execs the shipped executable as the agent when it is the expected one
 *    (as the service user through `sudo -n -H -u USER` when it differs from
 *    the login user). Otherwise the host answers with a probe (architecture,
 *    target directory, what executable is there): batou ships the right
 *    executable to `TARGET/.batou/batou-VERSION` (rsync, delta) and starts it;
 * 3. take the target directory's lock (held by the agent) and, in the same
 *    round trip, ask for the fingerprint of the project there
 *    (ship/project-manifest.ts);
 * 4. rsync the project (delta, with delete; never secrets, work/, .git, ...)
 *    unless the fingerprints are equal;
 * 5. `setup`: the agent loads the project and configures this host's roots
 *    and the providers they read.
 *
 * Every step but a root's deploy is bounded by the environment's `timeout`.
 * `close()` ends the agent's stdin (it exits, releasing its lock), then the
 * connection (which also signals TERM to anything left).
 *
 * @module
 */
import type { DeployRootRequest, HostConnection } from "../engine/connection.ts";
import type { Environment, SecretsData } from "../engine/environment.ts";
import { BatouError, DeploymentError } from "../engine/errors.ts";
import type { EventSink } from "../engine/events.ts";
import type { Host } from "../engine/host.ts";
import { AgentChannel, type Launched, LaunchFailure } from "./agent/channel.ts";
import type { AgentClient } from "./agent/client.ts";
import { SshError } from "./ssh/ssh-error.ts";
import { type Arch, archOf, compressedExecutable, executableName, remoteIsCurrent, type ShippableExecutable, shippableExecutable } from "./ship/host-executable.ts";
import { agentCommand, launchScript, type Probe } from "./launch.ts";
import type { ProjectManifest } from "./ship/project-manifest.ts";
import type { LockOwner } from "./agent/protocol.ts";
import { connectWithRetry, type Semaphore } from "./ssh/retry.ts";
import { DEFAULT_EXCLUDES, shellQuote, shipDirectory, type ShipResult } from "./ship/rsync.ts";
import { SshConnection } from "./ssh/connection.ts";
import { streamCommand, streamFile } from "./ship/stream-file.ts";

/** What all hosts of one run share. */
export interface RemoteRun {
  projectRoot: string;
  environment: Environment;
  secrets?: SecretsData;
  /** Ids of the roots a host's agent must configure (its own and their providers). */
  scope?: (host: string) => string[];
  /** The local project's fingerprint (computed once per run). */
  projectFingerprint: () => ProjectManifest;
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

/** Exit status of the launch script when the target directory cannot be created or entered. */
const TARGET_UNUSABLE = 97;

/** An SSH error's message without the leading `alias: ` (messages about a host already name it). */
function sshMessage(error: SshError): string {
  return error.message.startsWith(`${error.host}: `) ? error.message.slice(error.host.length + 2) : error.message;
}

/** A transport failure as a user-facing error about the host. */
function hostError(error: unknown, host: string, step: string): BatouError {
  if (error instanceof BatouError) {
    error.context.host ??= host;
    return error;
  }
  if (error instanceof SshError) {
    return new DeploymentError(`${step} failed on host ${host}: ${sshMessage(error)}`, { host, step, kind: error.kind });
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

/** The architecture to expect before a host says: this machine's (most deployments are homogeneous). */
function likelyArch(): Arch {
  return process.arch === "arm64" ? "arm64" : "x64";
}

const since = (start: number) => (performance.now() - start) / 1000;

export class SshHostConnection implements HostConnection {
  private conn?: SshConnection;
  private agent?: AgentChannel;
  private closing?: Promise<void>;
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

  private debug(line: string): void {
    this.run.debug(`${this.host.name}: ${line}`);
  }

  async open(emit: EventSink): Promise<void> {
    const name = this.host.name;
    await this.connect(emit);

    // 2. launch the agent, or learn from the probe what to ship first
    let t = performance.now();
    const exe = executableName();
    const expected = await shippableExecutable(likelyArch(), (line) => this.debug(line)).catch(() => undefined);
    let launched = await this.startAgent(launchScript(this.run.environment.settings.targetDirectory, exe, expected), emit);
    if (launched.kind === "probe") {
      const { probe } = launched;
      this.target = probe.target;
      this.debug(`${probe.machine}, target ${probe.target}${this.sudoUser ? ` (as ${this.sudoUser} via sudo)` : ""}, probe ${since(t).toFixed(2)} s`);
      await this.shipExecutable(probe, emit);
      t = performance.now();
      launched = await this.startAgent(agentCommand(probe.target, exe), emit);
      if (launched.kind !== "agent") throw new DeploymentError(`the batou agent on host ${name} did not start`, { host: name });
    }
    const { hello } = launched;
    this.target ??= hello.cwd;
    const target = this.target ?? "?";
    this.debug(`agent pid ${hello.pid} as ${hello.user} on ${hello.hostname} in ${target}, batou ${hello.version}, ${since(t).toFixed(2)} s`);
    const client = this.agent!.client;

    await this.lockAndSyncProject(client, target, emit);

    // 5. configure on the host
    t = performance.now();
    const setup = await client.request(
      "setup",
      {
        environment: this.run.environment.name,
        host: name,
        platform: this.run.platform,
        timeout: this.run.environment.settings.timeout,
        secrets: this.run.secrets,
        debug: this.run.debugMode,
        scope: this.run.scope?.(name),
      },
      { timeoutSeconds: this.timeout },
    );
    this.bytes.protocol = client.bytesSent;
    const sent = this.bytes.executable + this.bytes.project + this.bytes.protocol;
    emit({
      event: "host",
      host: name,
      status: "configured",
      seconds: since(t),
      detail: `${since(t).toFixed(2)} s (agent configure ${setup.seconds.toFixed(2)} s), ${setup.roots.length} root(s) here, ${setup.configured} configured, ${setup.rounds} round(s); ${sent} B sent in total (executable ${this.bytes.executable}, project ${this.bytes.project}, protocol ${this.bytes.protocol})`,
    });
  }

  /**
   * Steps 3 and 4: the target directory's lock and, in the same round trip, the
   * fingerprint of the project there; then the project rsync, unless the host
   * already has exactly this project.
   */
  private async lockAndSyncProject(client: AgentClient, target: string, emit: EventSink): Promise<void> {
    const name = this.host.name;
    const t = performance.now();
    const locking = client.request("lock", { owner: this.run.owner }, { timeoutSeconds: this.timeout });
    const theirs = client.request("manifest", { excludes: PROJECT_EXCLUDES }, { timeoutSeconds: this.timeout });
    theirs.catch(() => {});
    const locked = await locking;
    if (locked.tookOver) {
      emit({ event: "warning", host: name, message: `took over a stale lock in ${target} (held by pid ${locked.tookOver.pid} on ${locked.tookOver.machine}, which is gone)` });
    }
    const ours = this.run.projectFingerprint();
    if ((await theirs).hash === ours.hash) {
      emit({ event: "host", host: name, status: "shipped", seconds: since(t), detail: `${since(t).toFixed(2)} s, up to date (${ours.entries} entries), rsync skipped` });
      return;
    }
    this.checkOpen();
    const project = await this.rsync(this.run.projectRoot, target, PROJECT_EXCLUDES, [], "shipping the project");
    this.bytes.project = project.bytesSent;
    emit({ event: "host", host: name, status: "shipped", seconds: since(t), detail: `${since(t).toFixed(2)} s, ${project.filesTransferred} file(s) changed, ${project.bytesSent} B sent` });
  }

  /** Step 1: the SSH connection, with retries; an unreachable host is named with its attempts. */
  private async connect(emit: EventSink): Promise<void> {
    const name = this.host.name;
    const t = performance.now();
    emit({ event: "host", host: name, status: "connecting", detail: this.host.fqdn });
    try {
      this.conn = await connectWithRetry(
        () =>
          this.run.connectSlots.run(() =>
            SshConnection.open(this.host.fqdn, {
              projectRoot: this.run.projectRoot,
              timeoutSeconds: this.timeout,
              log: (line) => this.debug(`ssh: ${line}`),
              warn: (line) => emit({ event: "warning", host: name, message: line }),
            }),
          ),
        {
          attempts: this.run.connectAttempts,
          backoff: this.run.backoffSeconds,
          onRetry: (error, attempt, wait) =>
            emit({ event: "warning", host: name, message: `${error instanceof SshError ? sshMessage(error) : (error as Error).message} (attempt ${attempt} of ${this.run.connectAttempts}); retrying in ${wait.toFixed(1)} s` }),
        },
      );
    } catch (error) {
      const e = hostError(error, name, "connecting");
      if (error instanceof SshError && (error.kind === "connect" || error.kind === "timeout")) {
        e.message = `host ${name} is unreachable after ${this.run.connectAttempts} attempt(s): ${sshMessage(error)}`;
      }
      throw e;
    }
    if (this.closing) {
      await this.conn.close();
      this.checkOpen();
    }
    const { settings, negotiated } = this.conn;
    emit({ event: "host", host: name, status: "connected", seconds: since(t), detail: `${since(t).toFixed(2)} s, ${settings.user}@${settings.hostName}, ${negotiated.kex}` });
  }

  /** Runs `command` on an exec channel until the agent greets or a probe answers. */
  private async startAgent(command: string, emit: EventSink): Promise<Launched> {
    const name = this.host.name;
    this.checkOpen();
    const command_ = this.sudo(command);
    this.debug(`starting the agent: ${command_.replace(/\n/g, "; ")}`);
    const channel = await withTimeout(this.conn!.spawn(command_), this.timeout, "starting the agent", name).catch((error) => {
      throw hostError(error, name, "starting the agent");
    });
    const agent = new AgentChannel(channel, {
      host: name,
      onLog: (line) => emit({ event: "log", host: name, component: "", message: line }),
      onStderr: (line) => this.debug(`agent stderr: ${line}`),
      isClosing: () => this.closing !== undefined,
    });
    this.agent = agent;
    try {
      return await withTimeout(agent.launched, this.timeout, "starting the agent", name);
    } catch (error) {
      throw error instanceof LaunchFailure ? this.launchError(error) : hostError(error, name, "starting the agent");
    }
  }

  /** Why the launch command ended before an agent or a probe: sudo, or the target directory. */
  private launchError(failure: LaunchFailure): BatouError {
    const name = this.host.name;
    const login = this.conn!.settings.user;
    if (this.sudoUser && /sudo:/.test(failure.stderr)) {
      return new DeploymentError(`cannot become the service user "${this.sudoUser}" on host ${name} with sudo`, {
        host: name,
        "login user": login,
        "service user": this.sudoUser,
        sudo: failure.stderr.split("\n").slice(-3).join("\n"),
        hint: `allow "${login}" to run commands as "${this.sudoUser}" without a password (sudoers NOPASSWD), or log in as "${this.sudoUser}"`,
      });
    }
    const what = failure.exitCode === TARGET_UNUSABLE ? "cannot prepare the target directory" : "cannot start the batou agent";
    return new DeploymentError(`${what} on host ${name}`, {
      host: name,
      "target directory": this.run.environment.settings.targetDirectory,
      "exit code": failure.exitCode ?? "?",
      stderr: failure.stderr || undefined,
    });
  }

  /** Ships the executable for the host's architecture when what the probe found differs. */
  private async shipExecutable(probe: Probe, emit: EventSink): Promise<void> {
    const name = this.host.name;
    const t = performance.now();
    const local: ShippableExecutable = await shippableExecutable(archOf(probe.machine, name), (line) => this.debug(line));
    this.debug(`executable ${local.name}: ${local.origin}`);
    if (remoteIsCurrent(local, probe.sidecar, probe.stat)) return;
    this.checkOpen();
    let how: string;
    if (probe.empty) {
      // nothing there to delta against: stream it straight through the connection,
      // zstd-compressed when the host can unpack that
      const source = probe.zstd ? await compressedExecutable(local) : local.file;
      const command = this.sudo(streamCommand(`${probe.target}/.batou`, local.name, local.size, local.sha256, probe.zstd ? "zstd -dcq" : "cat"));
      const shipped = await streamFile(this.conn!, source, command, { stallSeconds: this.timeout }).catch((error) => {
        throw hostError(error, name, "shipping batou");
      });
      this.bytes.executable = shipped.bytesSent;
      how = probe.zstd ? "streamed, zstd" : "streamed";
    } else {
      // another build or version is there: rsync sends the difference (and removes the old one)
      const shipped = await this.rsync(local.dir, `${probe.target}/.batou`, [], ["--fuzzy", "--delete-delay"], "shipping batou");
      this.bytes.executable = shipped.bytesSent;
      how = "rsync delta";
    }
    emit({ event: "host", host: name, status: "shipped-executable", seconds: since(t), detail: `${since(t).toFixed(2)} s, ${local.size} B executable, ${this.bytes.executable} B sent (${how})` });
  }

  private async rsync(localDir: string, remoteDir: string, excludes: string[], extraArgs: string[], step: string): Promise<ShipResult> {
    try {
      return await shipDirectory(this.conn!, localDir, remoteDir, {
        excludes,
        extraArgs,
        sudoUser: this.sudoUser,
        timeoutSeconds: this.timeout,
        log: (line) => this.debug(line),
      });
    } catch (error) {
      throw hostError(error, this.host.name, step);
    }
  }

  async deployRoot(request: DeployRootRequest, emit: EventSink): Promise<number> {
    if (!this.agent) throw new DeploymentError(`host ${this.host.name} is not connected`, { host: this.host.name });
    const result = await this.agent.client.request("deploy", request, { emit });
    return result.changed;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      // EOF: the agent releases its lock and exits; then the connection goes (TERM for leftovers).
      await this.agent?.end(3000);
      await this.conn?.close();
    })();
    return this.closing;
  }
}
