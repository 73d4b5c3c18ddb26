/**
 * `connect_method = "ssh"` (and `vagrant`, `exec`): a HostConnection over
 * ONE transport (transport.ts, chosen by open-transport.ts) per host for the
 * whole run. `open()`:
 *
 * 1. connect (bounded concurrency across hosts, retry with back-off for
 *    refused/unreachable hosts; `timeout` bounds each attempt);
 * 2. launch (commands.ts): one command that enters the target directory and
 *    execs the shipped executable as the agent when it is the expected one
 *    (as the service user through sudo when it differs from the login user).
 *    Otherwise the host answers with a probe (architecture, target directory,
 *    what executable is there): batou ships the right executable to
 *    `TARGET/.batou/batou-VERSION` and starts it. An expected executable that
 *    does not start is hashed on the host; when it was damaged, it is shipped
 *    again;
 * 3. take the target directory's lock (held by the agent), ask for the
 *    fingerprint of the project there (ship/project-manifest.ts) and
 *    `setup` (the agent loads the project and configures this host's roots
 *    and the providers they read) if that fingerprint is ours: all three are
 *    written with the launch command, before any answer (their answers come
 *    back together; sshd passes them to the agent once it runs);
 * 4. when the fingerprints differ: ship the project (never secrets, work/,
 *    .git, ...), as a `sync` request in the agent's channel when the change
 *    is small (ship/project-sync.ts; the setup follows at once), else with
 *    rsync (delta, with delete), then `setup` again.
 *
 * Every step but a root's deploy is bounded by the environment's `timeout`.
 * The host's last `deploy` is marked: the agent releases its lock before
 * answering it and exits, so `close()` then closes the transport at once;
 * otherwise `close()` ends the agent's stdin (it stops between two
 * components, releases its lock and exits) and waits for it, then closes the
 * transport (which also signals TERM to anything left).
 *
 * @module
 */
import { statSync } from "node:fs";
import type { DeploymentRun, DeployRequest, HostConnection } from "../engine/connection.ts";
import { BatouError, DeploymentError } from "../engine/errors.ts";
import type { DeployEvent, EventSink } from "../engine/events.ts";
import { type HistoryEntry, HISTORY_NAME } from "../engine/history.ts";
import type { Host } from "../engine/host.ts";
import { AgentChannel, type Launched, LaunchFailure } from "./agent/channel.ts";
import { agentCommand, agentOpening, asUser, EXECUTABLE_DIR, EXIT_TARGET_UNUSABLE, launchScript, PROJECT_EXCLUDES, type Probe, sh, streamReceiver, streamUnpacker } from "./commands.ts";
import { openTransport } from "./open-transport.ts";
import { type Arch, archOf, compressedExecutable, executableName, remoteIsCurrent, type ShippableExecutable, shippableExecutable, verifyExecutable } from "./ship/host-executable.ts";
import type { ManifestEntry, ProjectManifest } from "./ship/project-manifest.ts";
import { planBytes, planSync, SYNC_LIMIT_BYTES, syncParams } from "./ship/project-sync.ts";
import type { ManifestResult, RequestMap, SetupParams, SetupResult, StaleProject } from "./agent/protocol.ts";
import { shipDirectory, type ShipOptions, type ShipResult } from "./ship/rsync.ts";
import { streamFile } from "./ship/stream-file.ts";
import { connectWithRetry, type Semaphore } from "./ssh/retry.ts";
import { isRetryable, SshError } from "./ssh/ssh-error.ts";
import type { Transport } from "./transport.ts";

/** What all hosts of one run share: the run value, and what the remote side computes once for it. */
export interface RemoteRun extends DeploymentRun {
  /** The local project's fingerprint and its entries (computed once per run). */
  readonly projectFingerprint: () => ProjectManifest & { list: ManifestEntry[] };
  /** At most this many SSH handshakes at once (jump hosts and sshd MaxStartups). */
  readonly connectSlots: Semaphore;
}

/** A transport failure as a user-facing error about the host (a new error; the original is its cause). */
function hostError(error: unknown, host: string, step: string): BatouError {
  if (error instanceof SshError) {
    return new DeploymentError(`${step} failed on host ${host}: ${error.message}`, { ...error.context, host, step, kind: error.kind }, { cause: error });
  }
  if (error instanceof BatouError) return error.context.host ? error : new DeploymentError(error.message, { ...error.context, host }, { cause: error });
  return new DeploymentError(`${step} failed on host ${host}: ${(error as Error)?.message ?? String(error)}`, { host, step }, { cause: error });
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

/** Whether a failed launch may be a damaged executable (not sudo, not the target directory). */
function mayBeDamaged(error: unknown): boolean {
  return !(error instanceof BatouError && (error.context.sudo !== undefined || error.context["exit code"] === EXIT_TARGET_UNUSABLE));
}

const since = (start: number) => (performance.now() - start) / 1000;

/** Progress events of one transfer: the start at once, then at most every 100 ms (for the live status line). */
function progressEmitter(emit: EventSink, host: string, what: string, total?: number): (bytes: number, total?: number) => void {
  let last = performance.now();
  emit({ event: "progress", host, what, bytes: 0, total });
  return (bytes, known = total) => {
    const now = performance.now();
    if (now - last < 100) return;
    last = now;
    emit({ event: "progress", host, what, bytes, total: known });
  };
}

/** The session requests written with the launch command, before any answer. */
interface Pipelined {
  lock: Promise<RequestMap["lock"]["result"]>;
  manifest: Promise<ManifestResult>;
  setup: Promise<SetupResult | StaleProject>;
}

/** An agent channel, what it turned out to be, and the requests sent to it with the launch. */
interface Started {
  channel: AgentChannel;
  launched: Launched;
  pipelined: Pipelined;
}

export class SshHostConnection implements HostConnection {
  private transport?: Transport;
  private agent?: AgentChannel;
  private closing?: Promise<void>;
  /** Roots deployed or replayed, and whether the host's run is over (the agent then released its lock and ends). */
  private rootsDone = 0;
  private finished = false;
  /** A `finish` request (the host's last roots were replayed), once sent. */
  private finishing?: Promise<void>;
  /** The roots the agent's speculative verify found nothing to do for, with the events to replay. */
  private speculation = new Map<string, DeployEvent[]>();
  /** The agent appended this run to the host's history itself (after the last deploy). */
  private recorded = false;
  /** Protocol bytes that were project files (a sync request). */
  private syncBytes = 0;
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

  /** The service user when it differs from the login user: remote commands go through sudo. */
  private get sudoUser(): string | undefined {
    const service = this.host.serviceUser;
    return service && this.transport && service !== this.transport.user ? service : undefined;
  }

  /** A script as the command for the host: through `sh -c`, as the service user when there is one. */
  private command(script: string): string {
    return asUser(this.sudoUser, sh(script));
  }

  private checkOpen(): void {
    if (this.closing) throw new DeploymentError(`the connection to host ${this.host.name} was closed`, { host: this.host.name });
  }

  private debug(line: string): void {
    this.run.debug(`${this.host.name}: ${line}`);
  }

  /** What `setup` asks of this host's agent. */
  private get setupParams(): SetupParams {
    const { owner } = this.run;
    return {
      environment: this.run.environment.name,
      host: this.host.name,
      platform: this.run.platform,
      timeout: this.run.environment.settings.timeout,
      secrets: this.run.secrets,
      debug: this.run.debugMode,
      scope: this.run.scope?.(this.host.name),
      speculate: { predicting: Boolean(this.run.predicting), finish: this.run.predicting || this.dependsOnNoOtherHost() },
      history: { time: owner.time, deployer: `${owner.user}@${owner.machine}`, batou: owner.version, environment: owner.environment, ...this.run.revision },
    };
  }

  /** Whether this host's roots depend on no root of another host (a host's roots' scope: their providers). */
  private dependsOnNoOtherHost(): boolean {
    const scope = new Set(this.run.scope?.(this.host.name) ?? []);
    return this.run.environment.roots.every((root) => !scope.has(root.id) || root.host.name === this.host.name);
  }

  /**
   * Sends a setup; the events of its speculative verify are kept per root
   * until its answer says which roots they stand for.
   */
  private setupRequest(client: AgentChannel["client"], params: SetupParams): Promise<SetupResult | StaleProject> {
    const events = new Map<string, DeployEvent[]>();
    const speculated = (root: string, event: DeployEvent) => {
      const list = events.get(root) ?? [];
      list.push(event);
      events.set(root, list);
    };
    const done = client.request("setup", params, { timeoutSeconds: this.timeout, speculated }).then((setup) => {
      if ("stale" in setup || !setup.speculation) return setup;
      const { speculation } = setup;
      this.speculation = new Map(speculation.nothing.map((root) => [root, events.get(root) ?? []]));
      if (speculation.finished) {
        this.finished = true;
        this.recorded = Boolean(speculation.recorded);
        this.debug("nothing to do here: the agent ended the host's run itself (no deploy or finish request)");
        this.logUsage(speculation, "its speculative verify");
      }
      return setup;
    });
    done.catch(() => {});
    return done;
  }

  /** The agent's peak memory and CPU, for --debug (the benchmarks read this line). */
  private logUsage(usage: { peakRss?: number; cpuSeconds?: number }, after: string): void {
    if (usage.peakRss) this.debug(`agent peak memory ${(usage.peakRss / 2 ** 20).toFixed(1)} MiB (VmHWM), ${usage.cpuSeconds?.toFixed(3) ?? "?"} s CPU, after ${after}`);
  }

  async open(emit: EventSink): Promise<void> {
    const name = this.host.name;
    const ours = this.run.projectFingerprint();
    const expecting = shippableExecutable(likelyArch(), (line) => this.debug(line)).catch(() => undefined);
    expecting.catch(() => {});
    this.transport = await this.connect(emit);

    // 2. launch the agent (with the session requests after it), or learn from the probe what to ship first
    let t = performance.now();
    const exe = executableName();
    const targetDirectory = this.run.environment.settings.targetDirectory;
    const expected = await expecting;
    let started: Started;
    try {
      started = await this.startAgent((opening) => launchScript(targetDirectory, exe, expected, { opening }), ours.hash, emit);
    } catch (error) {
      // The expected executable is there but does not start: damaged in place (its size and
      // mtime still match the sidecar)? Then the probe's hash differs and it is shipped again.
      if (!expected || !mayBeDamaged(error)) throw error;
      const checked = await this.startAgent(() => launchScript(targetDirectory, exe, undefined, { hash: true }), ours.hash, emit);
      if (checked.launched.kind !== "probe" || checked.launched.probe.sha256 === expected.sha256) throw error;
      emit({ event: "warning", host: name, message: `the batou executable on host ${name} is damaged (sha256 ${checked.launched.probe.sha256 || "unreadable"}); shipping it again` });
      started = checked;
    }
    if (started.launched.kind === "probe") {
      const { probe } = started.launched;
      this.target = probe.target;
      this.debug(`${probe.machine}, target ${probe.target}${this.sudoUser ? ` (as ${this.sudoUser} via sudo)` : ""}, probe ${since(t).toFixed(2)} s`);
      await this.shipExecutable(probe, emit);
      t = performance.now();
      started = await this.startAgent((opening) => agentCommand(probe.target, exe, opening), ours.hash, emit);
      if (started.launched.kind !== "agent") throw new DeploymentError(`the batou agent on host ${name} did not start`, { host: name });
    }
    const { channel, launched, pipelined } = started;
    this.agent = channel;
    const { hello } = launched;
    this.target ??= hello.cwd;
    const target = this.target ?? "?";
    this.debug(`agent pid ${hello.pid} as ${hello.user} on ${hello.hostname} in ${target}, batou ${hello.version}, ${since(t).toFixed(2)} s`);

    t = performance.now();
    const setup = await this.lockShipAndSetup(channel, pipelined, target, emit);
    const client = channel.client;
    this.bytes.protocol = client.bytesSent - this.syncBytes;
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
   * Steps 3 to 5: the answers to the pipelined lock, manifest and setup; when
   * the host's project differs, the shipment (in the channel, or rsync) and
   * the setup again.
   */
  private async lockShipAndSetup(agent: AgentChannel, pipelined: Pipelined, target: string, emit: EventSink): Promise<SetupResult> {
    const { client } = agent;
    const name = this.host.name;
    const t = performance.now();
    const locked = await pipelined.lock;
    if (locked.tookOver) {
      emit({ event: "warning", host: name, message: `took over a stale lock in ${target} (held by pid ${locked.tookOver.pid} on ${locked.tookOver.machine}, which is gone)` });
    }
    const ours = this.run.projectFingerprint();
    const theirs = await pipelined.manifest;
    if (theirs.hash === ours.hash) {
      emit({ event: "host", host: name, status: "shipped", seconds: since(t), bytes: 0, files: 0, detail: `${since(t).toFixed(2)} s, up to date (${ours.entries} entries), nothing shipped` });
      const setup = await pipelined.setup;
      if ("stale" in setup) throw new DeploymentError(`the project on host ${name} changed while batou was connecting`, { host: name, "target directory": target });
      return setup;
    }
    this.checkOpen();
    const plan = planSync(ours.list, theirs.list ?? []);
    const bytes = planBytes(plan);
    let again: Promise<SetupResult | StaleProject>;
    if (theirs.list && bytes <= SYNC_LIMIT_BYTES) {
      // small: the files go in the channel, and the setup right behind them (one round trip)
      const before = client.bytesSent;
      const synced = client.request("sync", syncParams(this.run.projectRoot, plan), { timeoutSeconds: this.timeout });
      again = this.setupRequest(client, this.setupParams);
      this.bytes.project = this.syncBytes = client.bytesSent - before;
      const { written, removed } = await synced.catch((error) => {
        throw hostError(error, name, "shipping the project");
      });
      const files = plan.files.length;
      emit({ event: "host", host: name, status: "shipped", seconds: since(t), bytes: this.bytes.project, files, detail: `${since(t).toFixed(2)} s, ${files} file(s) changed (${written} written, ${removed} removed), ${this.bytes.project} B sent in the agent's channel` });
    } else {
      const onProgress = progressEmitter(emit, name, "project");
      const project = await this.rsync(this.run.projectRoot, target, { excludes: PROJECT_EXCLUDES, onProgress }, "shipping the project");
      this.bytes.project = project.bytesSent;
      const { bytesSent: bytes, filesTransferred: files } = project;
      emit({ event: "host", host: name, status: "shipped", seconds: since(t), bytes, files, detail: `${since(t).toFixed(2)} s, ${files} file(s) changed, ${bytes} B sent` });
      again = this.setupRequest(client, this.setupParams);
    }
    await pipelined.setup; // answered { stale } before the shipment
    const setup = await again;
    if ("stale" in setup) throw new DeploymentError(`the project on host ${name} was not shipped`, { host: name });
    return setup;
  }

  /** Step 1: the transport, with retries; an unreachable host is named with its attempts. */
  private async connect(emit: EventSink): Promise<Transport> {
    const name = this.host.name;
    const t = performance.now();
    const attempts = this.run.connectAttempts;
    emit({ event: "host", host: name, status: "connecting", detail: this.host.fqdn });
    let transport: Transport;
    try {
      transport = await connectWithRetry(
        () =>
          this.run.connectSlots.run(() =>
            openTransport(this.host.fqdn, {
              name,
              settings: this.run.environment.settings,
              client: this.host.sshClient,
              projectRoot: this.run.projectRoot,
              environment: this.run.environment.name,
              timeoutSeconds: this.timeout,
              log: (line) => this.debug(`${this.run.environment.settings.connectMethod}: ${line}`),
              warn: (line) => emit({ event: "warning", host: name, message: line }),
            }),
          ),
        {
          attempts,
          backoff: this.run.backoffSeconds,
          onRetry: (error, attempt, wait) =>
            emit({ event: "warning", host: name, message: `${(error as Error).message} (attempt ${attempt} of ${attempts}); retrying in ${wait.toFixed(1)} s` }),
        },
      );
    } catch (error) {
      if (isRetryable(error)) {
        const e = error as SshError;
        const hint = `set ignore = true for host "${name}" in the environment, or deploy the others with --exclude-hosts ${name}`;
        throw new DeploymentError(`host ${name} is unreachable after ${attempts} attempt(s): ${e.message}`, { ...e.context, host: name, step: "connecting", kind: e.kind, hint }, { cause: e });
      }
      throw hostError(error, name, "connecting");
    }
    if (this.closing) {
      await transport.close();
      this.checkOpen();
    }
    emit({ event: "host", host: name, status: "connected", seconds: since(t), detail: `${since(t).toFixed(2)} s, ${transport.description}` });
    return transport;
  }

  /**
   * Runs the script `launch` builds (as the service user) with the hello and
   * the first session requests (lock, manifest) as its opening (an argument:
   * the agent answers them as it starts, commands.ts agentOpening), and,
   * without waiting, writes the setup (if the project is `project`; secrets:
   * only ever on stdin) after it; resolves when the agent greets or a probe
   * answers (a probe's shell never reads them).
   */
  private async startAgent(launch: (opening?: string) => string, project: string, emit: EventSink): Promise<Started> {
    const name = this.host.name;
    this.checkOpen();
    const channel = new AgentChannel({
      host: name,
      onLog: (line) => emit({ event: "log", host: name, component: "", message: line }),
      onStderr: (line) => this.debug(`agent stderr: ${line}`),
      isClosing: () => this.closing !== undefined,
    });
    const { client } = channel;
    const timeoutSeconds = this.timeout;
    const lock = client.request("lock", { owner: this.run.owner }, { timeoutSeconds });
    const manifest = client.request("manifest", { excludes: PROJECT_EXCLUDES, expect: project }, { timeoutSeconds });
    const first = channel.takeOpening();
    const opening = agentOpening(first);
    if (opening === undefined) channel.restoreOpening(first); // too long for a command line: on stdin
    const pipelined: Pipelined = { lock, manifest, setup: this.setupRequest(client, { ...this.setupParams, project }) };
    for (const request of Object.values(pipelined)) request.catch(() => {}); // awaited in order, or moot after a probe
    const command = this.command(launch(opening));
    this.debug(`starting the agent: ${command.replace(/\n/g, "; ")}`);
    const remote = await withTimeout(this.transport!.spawn(command), this.timeout, "starting the agent", name).catch((error) => {
      client.closed("could not be started");
      throw hostError(error, name, "starting the agent");
    });
    channel.attach(remote);
    try {
      return { channel, launched: await withTimeout(channel.launched, this.timeout, "starting the agent", name), pipelined };
    } catch (error) {
      remote.close();
      throw error instanceof LaunchFailure ? this.launchError(error) : hostError(error, name, "starting the agent");
    }
  }

  /** Why the launch command ended before an agent or a probe: sudo, or the target directory. */
  private launchError(failure: LaunchFailure): BatouError {
    const name = this.host.name;
    const login = this.transport!.user;
    if (this.sudoUser && /sudo:/.test(failure.stderr)) {
      return new DeploymentError(`cannot become the service user "${this.sudoUser}" on host ${name} with sudo`, {
        host: name,
        "login user": login,
        "service user": this.sudoUser,
        sudo: failure.stderr.split("\n").slice(-3).join("\n"),
        hint: `allow "${login}" to run commands as "${this.sudoUser}" without a password (sudoers NOPASSWD), or log in as "${this.sudoUser}"`,
      });
    }
    const what = failure.exitCode === EXIT_TARGET_UNUSABLE ? "cannot prepare the target directory" : "cannot start the batou agent";
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
    if (remoteIsCurrent(local, probe)) return;
    this.checkOpen();
    await verifyExecutable(local);
    let how: string;
    if (probe.empty) {
      // nothing there to delta against: stream it straight through the connection,
      // zstd-compressed when the host can unpack that
      const source = probe.zstd ? await compressedExecutable(local) : local.file;
      const command = this.command(streamReceiver(`${probe.target}/${EXECUTABLE_DIR}`, local.name, local.size, local.sha256, streamUnpacker(probe.zstd)));
      const onProgress = progressEmitter(emit, name, "batou", statSync(source).size);
      const shipped = await streamFile(this.transport!, source, command, { stallSeconds: this.timeout, onProgress }).catch((error) => {
        throw hostError(error, name, "shipping batou");
      });
      this.bytes.executable = shipped.bytesSent;
      how = probe.zstd ? "streamed, zstd" : "streamed";
    } else {
      // another build or version is there (or a damaged copy, whose size and time may
      // match): rsync sends the difference (and removes the old one, never the history)
      const extraArgs = ["--fuzzy", "--delete-delay", ...(probe.sha256 ? ["--ignore-times"] : [])];
      const onProgress = progressEmitter(emit, name, "batou");
      const shipped = await this.rsync(local.dir, `${probe.target}/${EXECUTABLE_DIR}`, { excludes: [`/${HISTORY_NAME}`], extraArgs, onProgress }, "shipping batou");
      this.bytes.executable = shipped.bytesSent;
      how = this.transport!.remoteRsync === false ? "tar stream" : "rsync delta";
    }
    const bytes = this.bytes.executable;
    emit({ event: "host", host: name, status: "shipped-executable", seconds: since(t), bytes, detail: `${since(t).toFixed(2)} s, ${local.size} B executable, ${bytes} B sent (${how})` });
  }

  private async rsync(localDir: string, remoteDir: string, options: ShipOptions, step: string): Promise<ShipResult> {
    try {
      return await shipDirectory(this.transport!, localDir, remoteDir, {
        ...options,
        sudoUser: this.sudoUser,
        timeoutSeconds: this.timeout,
        log: (line) => this.debug(line),
      });
    } catch (error) {
      throw hostError(error, this.host.name, step);
    }
  }

  speculated(root: string): boolean {
    return this.speculation.has(root);
  }

  async deploy(request: DeployRequest, emit: EventSink): Promise<number> {
    if (!this.agent) throw new DeploymentError(`host ${this.host.name} is not connected`, { host: this.host.name });
    const client = this.agent.client;
    // the host's last root: the agent releases its lock before it answers, and ends
    const last = ++this.rootsDone === this.run.environment.roots.filter((root) => root.host.name === this.host.name && !root.ignore).length;
    const events = request.replay ? this.speculation.get(request.root) : undefined;
    if (events) {
      // verified while configuring, nothing changed since: the same events, no round trip
      this.speculation.delete(request.root);
      this.debug(`${request.root}: replayed the verify done while configuring (no deploy request)`);
      for (const event of events) emit(event);
      if (last && !this.finished) this.finishing = this.finish(request.predicting);
      return 0;
    }
    if (this.finished) throw new DeploymentError(`the batou agent on host ${this.host.name} already ended this run (cannot deploy ${request.root})`, { host: this.host.name });
    const { replay: _, ...params } = request;
    this.debug(`deploy request for ${request.root}${last ? " (the host's last)" : ""}`);
    const result = await client.request("deploy", { ...params, last }, { emit });
    if (last) this.finished = true;
    if (result.recorded) this.recorded = true;
    this.logUsage(result, request.root);
    return result.changed;
  }

  /** The host's last roots were replayed: the agent ends its run as after a last deploy (one round trip, awaited by record and close). */
  private async finish(predicting: boolean): Promise<void> {
    this.debug("finish request (the host's last roots were replayed)");
    try {
      const result = await this.agent!.client.request("finish", { predicting }, { timeoutSeconds: this.timeout });
      this.finished = true;
      this.recorded = result.recorded;
      this.logUsage(result, "the host's last root");
    } catch (error) {
      this.debug(`finish: ${(error as Error).message}`);
    }
  }

  async record(entry: HistoryEntry): Promise<void> {
    await this.finishing;
    if (this.recorded) return; // the agent appended the same entry after the last deploy, without a round trip
    if (!this.agent) throw new DeploymentError(`host ${this.host.name} is not connected`, { host: this.host.name });
    await this.agent.client.request("history", { entry }, { timeoutSeconds: this.timeout });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      // EOF: the agent stops, releases its lock and exits (after the last deploy it did so by itself);
      // then the transport goes (TERM for leftovers).
      await this.finishing;
      if (this.finished) this.agent?.client.end();
      else await this.agent?.end(3000);
      await this.transport?.close();
    })();
    return this.closing;
  }
}
