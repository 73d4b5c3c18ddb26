/**
 * The OpenSSH transport (`ssh_client = "openssh"`): the system's `ssh` with
 * one ControlMaster per host for the run, so whatever OpenSSH and the
 * user's configuration can do works (certificates, FIDO keys, GSSAPI,
 * PKCS#11, `Match exec`, CanonicalizeHostname), and host keys, identities and
 * agents are OpenSSH's own.
 *
 * `open()` starts the master (`ssh -M`, BatchMode: batou never answers a
 * prompt) with its ControlPath in a private 0700 folder and waits until the
 * socket appears (OpenSSH creates it once authenticated), the master exits
 * (its stderr becomes the error) or the timeout passes. Every command, the
 * agent's channel and rsync then run as clients of that master (`ssh -S`):
 * one handshake per host. The master keeps a session of its own that ends
 * when batou's end of its stdin closes, so even a killed batou leaves no
 * master behind; `close()` stops it and removes the folder. That session
 * also carries batou's keepalives (a byte a second, echoed by the host): a
 * host that stops answering is noticed within ~5 s (see `keepalive()`), while the handshake has
 * no deadline but the user's ConnectTimeout and batou's `timeout`.
 *
 * OpenSSH's client does not pass on exit signals, and has no way to signal
 * a remote command: `signal()` drops the channel (the command sees EOF), and
 * a command that ends without a status is reported as such.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, watch } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Duplex } from "node:stream";
import { OPENSSH_KEEPALIVE, type OpenSshSpec, opensshClientArgv, opensshCommandArgv, opensshConfigArgv, opensshMasterArgv } from "../commands.ts";
import { describeCommand } from "../ssh/exec.ts";
import { validHostName } from "../ssh/config.ts";
import { SshError } from "../ssh/ssh-error.ts";
import type { ExitStatus, RemoteProcess, RsyncShell, Transport } from "../transport.ts";
import { opensshError, stderrLines } from "./errors.ts";

/** Options of {@link OpenSshTransport.open}. */
export interface OpenSshOptions {
  /** The ssh_config to use (`-F`); none: OpenSSH's own lookup. */
  configFile?: string;
  /** Deadline for the master's connection and authentication. */
  timeoutSeconds: number;
  /** --debug lines (the master's stderr among them). */
  log?: (line: string) => void;
  /** The `ssh` program (default `ssh`). */
  ssh?: string;
}

/** Successful master connections in this process: lets tests prove one handshake per host. */
let masters = 0;

/** A folder for the control socket whose path stays well within the 108 bytes of a unix socket (OpenSSH adds ~17 while binding). */
function socketFolder(): string {
  const base = tmpdir().length > 60 ? "/tmp" : tmpdir();
  return mkdtempSync(join(base, "batou-ssh-")); // mode 0700: only we can reach the master
}

/** A child process and how it ended (once it has exited and its output is closed). */
interface Started {
  child: ChildProcess;
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `argv` in its own process group: a Ctrl-C at the terminal reaches batou, which stops them in order. */
function start(argv: string[]): Started {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["pipe", "pipe", "pipe"], detached: true });
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("close", (code, signal) => resolve({ code, signal }));
    child.once("error", () => resolve({ code: 127, signal: null })); // no ssh on PATH: reported with its stderr (none)
  });
  return { child, ended };
}

const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

/** Signals the child's whole process group (its own: see {@link start}), so its ProxyCommand ends with it. */
function stopGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

/** Collects a child's stderr (the last 8 KiB). */
function collect(child: ChildProcess, onLine?: (line: string) => void): () => string {
  let text = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    const added = chunk.toString("utf8");
    text = (text + added).slice(-8192);
    if (onLine) for (const line of stderrLines(added)) onLine(line);
  });
  return () => text;
}

/** `ssh -G`: the settings OpenSSH will use for `alias` (lower-case keys, first value). */
async function effectiveConfig(spec: Omit<OpenSshSpec, "controlPath">, alias: string): Promise<Map<string, string>> {
  const { child, ended } = start(opensshConfigArgv(spec, alias));
  child.stdin!.end();
  const out: Buffer[] = [];
  child.stdout!.on("data", (chunk: Buffer) => out.push(chunk));
  const stderr = collect(child);
  const { code } = await ended;
  if (code !== 0) throw opensshError(alias, "reading the configuration (ssh -G)", stderr(), code);
  const settings = new Map<string, string>();
  for (const line of Buffer.concat(out).toString("utf8").split("\n")) {
    const space = line.indexOf(" ");
    if (space > 0 && !settings.has(line.slice(0, space))) settings.set(line.slice(0, space), line.slice(space + 1).trim());
  }
  return settings;
}

/** The link to one host over an OpenSSH ControlMaster. */
export class OpenSshTransport implements Transport {
  /** Masters that authenticated in this process (one per host and run). */
  static get handshakes(): number {
    return masters;
  }

  private readonly clients = new Set<Started>();
  private lost: string | null = null;
  private closing: Promise<void> | null = null;
  /** Whether the host showed that it is there since the keepalive's last tick. */
  private heard = true;
  /**
   * What may keep the host silent for longer than the keepalive allows: rsyncs
   * through the master (their traffic is rsync's own, batou cannot see it) and
   * commands whose input backed up and that have not answered since (on a slow
   * uplink with deep buffers, that input holds up the keepalives for seconds).
   */
  private busy = 0;

  private constructor(
    readonly host: string,
    readonly user: string,
    readonly description: string,
    private readonly spec: OpenSshSpec,
    private readonly dir: string,
    private readonly master: Started,
    masterStderr: () => string,
    private readonly timeoutSeconds: number,
  ) {
    const stopKeepalive = this.keepalive();
    void master.ended.then(() => {
      stopKeepalive();
      const said = stderrLines(masterStderr()).at(-1);
      this.lost ??= `the OpenSSH master connection ended${said ? ` (${said})` : ""}`;
    });
  }

  /** The host is there: something came from it, or a command's input moved on (which needs the host's window). */
  private readonly alive = () => {
    this.heard = true;
  };

  /**
   * Writes a byte into the master's own session every interval (its `cat`
   * echoes it back). When nothing came from the host for more than `count`
   * intervals (neither an echo nor any command's output, nor room for a
   * command's input: an echo can queue behind a big upload on a slow link),
   * the host or the link is gone: the master is stopped, and with it every
   * command through it. While something is {@link busy}, only `timeout` of
   * silence counts. Silence is counted in ticks, not seconds: when batou itself
   * was stalled (a long synchronous step), the answers waiting to be read are
   * no silence of the host's.
   */
  private keepalive(): () => void {
    const { child } = this.master;
    const { interval, count } = OPENSSH_KEEPALIVE;
    child.stdout!.on("data", this.alive);
    let silent = 0;
    const timer = setInterval(() => {
      silent = this.heard ? 0 : silent + 1;
      this.heard = false;
      const limit = this.busy > 0 ? Math.max(Math.ceil(this.timeoutSeconds / interval), count) : count;
      if (silent <= limit) {
        child.stdin!.write("\n");
        return;
      }
      this.lost ??= `the host did not answer for ${silent * interval} s (keepalive)`;
      clearInterval(timer);
      stopGroup(child, "SIGTERM");
    }, interval * 1000);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Connects to `alias` (an ssh_config alias) and waits until the master is ready. */
  static async open(alias: string, options: OpenSshOptions): Promise<OpenSshTransport> {
    if (!validHostName(alias)) {
      throw new SshError(alias, "config", `invalid host name ${JSON.stringify(alias)}: a host name must not start with "-" nor contain whitespace, control characters or any of ' \` " $ \\ ; & < > | ( ) { } (as OpenSSH requires)`);
    }
    const log = options.log ?? (() => {});
    const dir = socketFolder();
    const spec: OpenSshSpec = { configFile: options.configFile, controlPath: join(dir, "m"), ssh: options.ssh };
    const settings = effectiveConfig(spec, alias);
    settings.catch(() => {});
    const argv = opensshMasterArgv(spec, alias);
    log(`starting the OpenSSH master: ${argv.join(" ")}`);
    const began = performance.now();
    const master = start(argv);
    master.child.stdin!.on("error", () => {});
    const stderr = collect(master.child, (line) => log(`ssh: ${line}`));
    try {
      const ready = await masterReady(spec.controlPath, dir, master.ended, options.timeoutSeconds);
      if (ready === "timeout") {
        const said = stderrLines(stderr());
        throw new SshError(alias, "timeout", `no SSH connection with OpenSSH within ${options.timeoutSeconds} s (timeout)${said.length ? ` (${said.at(-1)})` : ""}`, { context: { "OpenSSH said": said.join("\n") || undefined } });
      }
      if (ready !== "ready") throw opensshError(alias, "connecting", stderr(), ready.code);
      const config = await settings;
      const user = config.get("user") ?? "";
      const target = `${user}@${config.get("hostname") ?? alias}${config.get("port") && config.get("port") !== "22" ? `:${config.get("port")}` : ""}`;
      masters++;
      log(`OpenSSH master for ${target} ready after ${(performance.now() - began).toFixed(0)} ms (ControlPath ${spec.controlPath})`);
      return new OpenSshTransport(alias, user, `${target}, OpenSSH ControlMaster`, spec, dir, master, stderr, options.timeoutSeconds);
    } catch (error) {
      stopGroup(master.child, "SIGTERM");
      await master.ended;
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Starts `command` through the master; bytes written before it runs are delivered in order. */
  async spawn(command: string): Promise<RemoteProcess> {
    this.assertOpen(command);
    const client = start(opensshCommandArgv(this.spec, this.host, command));
    const { child } = client;
    this.clients.add(client);
    let backedUp = false;
    const answered = () => {
      this.alive();
      if (backedUp) this.busy--;
      backedUp = false;
    };
    child.stdout!.on("data", answered);
    child.stderr!.on("data", answered);
    child.stdin!.on("drain", () => {
      this.alive();
      if (!backedUp) this.busy++;
      backedUp = true;
    });
    const stdio = Duplex.from({ writable: child.stdin!, readable: child.stdout! });
    stdio.on("error", () => {}); // writes after the command ended: its exit tells what happened
    const exit: Promise<ExitStatus> = client.ended.then(async ({ code, signal }) => {
      this.clients.delete(client);
      answered();
      if (signal) return { code: null, signal: null, unknown: `its ssh client was stopped (${signal})` };
      if (code !== 255) return { code, signal: null };
      // 255: the link is gone (the master ends at the same moment: give it a moment to say so),
      // or the command ended without a status (killed: OpenSSH does not pass on exit signals)
      await Promise.race([this.master.ended, Bun.sleep(300)]);
      return this.lost ? { code: null, signal: null } : { code: null, signal: null, unknown: "OpenSSH does not pass on exit signals; killed?" };
    });
    // OpenSSH cannot signal a remote command: its ssh client goes, the master sends EOF; the
    // master keeps the command's stderr until the command ends, so it is not waited for
    const drop = () => {
      child.stdin!.destroy();
      child.stderr!.destroy();
      if (running(child)) child.kill("SIGTERM");
    };
    return { stdio, stderr: child.stderr!, exit, signal: drop, close: drop };
  }

  /** rsync's remote shell: a client of the master (OpenSSH runs what rsync asks; only batou's own rsync uses it). */
  async rsyncShell(): Promise<RsyncShell> {
    this.assertOpen("rsync");
    this.busy++;
    let closed = false;
    const close = async () => {
      if (!closed) this.busy--;
      closed = true;
    };
    return { argv: opensshClientArgv(this.spec), commands: [], close };
  }

  /** Why the link is gone (the master ended, or the keepalive went unanswered); null while it is up. */
  get lostReason(): string | null {
    return this.lost;
  }

  /** Stops the master (every command through it ends), then its clients; removes the socket folder. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.lost ??= "closed";
      const all = [this.master, ...this.clients];
      stopGroup(this.master.child, "SIGTERM");
      await Promise.race([Promise.all(all.map((s) => s.ended)), Bun.sleep(2000)]);
      for (const { child } of all) if (running(child)) stopGroup(child, "SIGKILL");
      rmSync(this.dir, { recursive: true, force: true });
    })();
    return this.closing;
  }

  private assertOpen(what: string): void {
    if (this.closing) throw new SshError(this.host, "closed", `connection already closed (wanted: ${describeCommand(what)})`);
    if (this.lost) throw new SshError(this.host, "closed", `connection lost: ${this.lost} (wanted: ${describeCommand(what)})`);
  }
}

/**
 * Resolves "ready" once the control socket exists (OpenSSH links it into
 * place when authenticated and listening), or with the master's exit status;
 * "timeout" when neither happened in time.
 */
function masterReady(socket: string, dir: string, exited: Started["ended"], timeoutSeconds: number): Promise<"ready" | "timeout" | { code: number | null }> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (value: "ready" | "timeout" | { code: number | null }) => {
      if (settled) return;
      settled = true;
      watcher.close();
      clearTimeout(timer);
      resolve(value);
    };
    const watcher = watch(dir, () => existsSync(socket) && settle("ready"));
    const timer = setTimeout(() => settle("timeout"), timeoutSeconds * 1000);
    void exited.then((status) => settle(status));
    if (existsSync(socket)) settle("ready");
  });
}
