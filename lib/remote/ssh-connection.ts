/**
 * One SSH connection to one host, opened once and shared by everything a run
 * does on that host (agent channel, rsync, commands), built on `ssh2`.
 *
 * `open()` resolves the alias through ssh_config, collects identities (agent,
 * files), reaches the host directly, through `ProxyCommand` or through a
 * `ProxyJump` chain (each hop a nested SshConnection owned by this one),
 * verifies the host key against known_hosts and authenticates, all bounded by
 * one deadline. `close()` ends the connection, its jump hosts and proxy
 * processes; remote commands then see EOF on stdin (see ssh-exec.ts).
 *
 * @module
 */
import { Client, type ClientChannel, type ConnectConfig } from "ssh2";
import type { Duplex } from "node:stream";
import { SshError } from "./errors.ts";
import { type AuthCandidate, collectAuthCandidates, type PassphrasePrompt } from "./identities.ts";
import { appendKnownHost, checkHostKey, decideHostKey, fingerprintSha256, knownKeyTypes } from "./known-hosts.ts";
import { ProxyCommandStream } from "./proxy-command.ts";
import { type ExecOptions, type ExecResult, execCommand, openExecChannel, signalChannel } from "./ssh-exec.ts";
import { resolveSshSettings, type SshSettings } from "./ssh-config.ts";

export type { ExecOptions, ExecResult } from "./ssh-exec.ts";

/** Options of {@link SshConnection.open}. */
export interface OpenOptions {
  /** An explicit ssh_config (else `<projectRoot>/ssh_config`, else `~/.ssh/config`). */
  configFile?: string;
  projectRoot?: string;
  /** Deadline for the whole open (proxy, jumps, handshake, auth); default ConnectTimeout, else 30 s. */
  timeoutSeconds?: number;
  /** Debug lines (`--debug`): settings, proxy, negotiated kex/cipher, auth. */
  log?: (line: string) => void;
  /** Warnings that must be shown even without `--debug` (accepted unknown host keys). Default: stderr. */
  warn?: (line: string) => void;
  passphrasePrompt?: PassphrasePrompt;
  /** ssh-agent socket; default `SSH_AUTH_SOCK`; null: no agent. */
  agentSocket?: string | null;
  /** Also pass ssh2's packet-level debug output to `log` (very verbose). */
  traceProtocol?: boolean;
}

/** What the handshake negotiated. */
export interface Negotiated {
  kex: string;
  serverHostKey: string;
  cipher: string;
  hostKeyFingerprint: string;
}

const DEFAULT_HOST_KEY_ALGOS = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"];

/** Known key types first, so the host presents the key known_hosts has (as OpenSSH does). */
function hostKeyAlgorithms(knownTypes: string[]): string[] {
  const preferred = knownTypes.flatMap((t) => (t === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [t]))
    .filter((a) => DEFAULT_HOST_KEY_ALGOS.includes(a));
  return [...new Set([...preferred, ...DEFAULT_HOST_KEY_ALGOS])];
}

/** An open SSH connection to one host. */
export class SshConnection {
  /** Successful SSH handshakes in this process (jump hosts included): lets tests prove connection reuse. */
  static handshakes = 0;

  readonly alias: string;
  readonly settings: SshSettings;
  readonly negotiated: Negotiated;
  /** Milliseconds from `open()` to authenticated. */
  readonly connectMs: number;
  private readonly client: Client;
  private readonly sock: Duplex | null;
  private readonly jump: SshConnection | null;
  private readonly channels = new Set<ClientChannel>();
  private closing: Promise<void> | null = null;
  private lostReason: string | null = null;
  private clientClosed = false;

  private constructor(init: { settings: SshSettings; client: Client; sock: Duplex | null; jump: SshConnection | null; negotiated: Negotiated; connectMs: number }) {
    this.alias = init.settings.alias;
    this.settings = init.settings;
    this.client = init.client;
    this.sock = init.sock;
    this.jump = init.jump;
    this.negotiated = init.negotiated;
    this.connectMs = init.connectMs;
    init.client.on("error", (e) => (this.lostReason ??= e.message));
    init.client.on("close", () => {
      this.clientClosed = true;
      this.lostReason ??= "connection closed";
    });
  }

  /** Opens a connection to `alias` as configured in ssh_config. */
  static async open(alias: string, options: OpenOptions = {}): Promise<SshConnection> {
    const settings = resolveSshSettings(alias, { configFile: options.configFile, projectRoot: options.projectRoot });
    return SshConnection.openWithSettings(settings, options);
  }

  /** Opens a connection with already resolved (possibly adjusted) settings. */
  static async openWithSettings(settings: SshSettings, options: OpenOptions = {}): Promise<SshConnection> {
    const started = performance.now();
    const log = options.log ?? (() => {});
    const host = settings.alias;
    const timeoutSeconds = Math.min(options.timeoutSeconds ?? Infinity, settings.connectTimeoutSeconds ?? Infinity);
    const deadline = started + (Number.isFinite(timeoutSeconds) ? timeoutSeconds : 30) * 1000;
    const route = settings.proxyJump.length ? `via ProxyJump ${settings.proxyJump.map((j) => j.host).join(",")}`
      : settings.proxyCommand ? `via ProxyCommand "${settings.proxyCommand}"` : "direct TCP";
    const target = `${settings.user}@${settings.hostName}:${settings.port}`;
    log(`connecting to ${target} ${route} (config ${settings.configFile ?? "none"}, timeout ${((deadline - started) / 1000).toFixed(1)} s)`);

    const candidates = await collectAuthCandidates(settings, { log, passphrasePrompt: options.passphrasePrompt, agentSocket: options.agentSocket });
    if (!candidates.length) {
      throw new SshError(host, "auth", `no identity to offer as ${settings.user}: no usable key in ssh-agent or in ${settings.identityFiles.join(", ") || "(no IdentityFile)"} (config ${settings.configFile ?? "none"})`);
    }

    let jump: SshConnection | null = null;
    let sock: Duplex | null = null;
    try {
      if (settings.proxyJump.length) {
        const hops = settings.proxyJump;
        const last = hops[hops.length - 1];
        const jumpSettings = resolveSshSettings(last.host, { configFile: settings.configFile ?? undefined });
        if (last.user) jumpSettings.user = last.user;
        if (last.port) jumpSettings.port = last.port;
        if (hops.length > 1) {
          jumpSettings.proxyJump = hops.slice(0, -1);
          jumpSettings.proxyCommand = null;
        }
        const remaining = Math.max(0.1, (deadline - performance.now()) / 1000);
        jump = await SshConnection.openWithSettings(jumpSettings, { ...options, timeoutSeconds: remaining, log: (l) => log(`jump ${last.host}: ${l}`) })
          .catch((e: unknown) => {
            const inner = e instanceof SshError ? e : null;
            throw new SshError(host, inner?.kind ?? "connect", `cannot reach jump host: ${(e as Error).message}`, { cause: e });
          });
        sock = await jump.forwardOut(settings.hostName, settings.port);
      } else if (settings.proxyCommand) {
        sock = new ProxyCommandStream(settings.proxyCommand, log);
      }
      const result = await handshake(settings, options, { sock, candidates, deadline, log, route, target });
      const connectMs = performance.now() - started;
      log(`authenticated as ${settings.user} with ${result.authLabel} after ${connectMs.toFixed(0)} ms`);
      SshConnection.handshakes++;
      return new SshConnection({ settings, client: result.client, sock, jump, negotiated: result.negotiated, connectMs });
    } catch (error) {
      sock?.destroy();
      await jump?.close();
      throw error;
    }
  }

  /** Runs `command` (through the login shell) and collects its output. */
  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    this.assertOpen(command);
    return execCommand(this.client, this.alias, command, options);
  }

  /**
   * Starts a long-lived command and returns its channel (stdin = the channel's
   * writable side, stdout = readable, `.stderr`). The program must exit on stdin EOF.
   */
  async spawn(command: string): Promise<ClientChannel> {
    this.assertOpen(command);
    const channel = await openExecChannel(this.client, this.alias, command);
    this.channels.add(channel);
    channel.once("close", () => this.channels.delete(channel));
    return channel;
  }

  /** Opens a TCP tunnel from the host to `host:port` (used for ProxyJump). */
  forwardOut(host: string, port: number): Promise<ClientChannel> {
    this.assertOpen(`tunnel to ${host}:${port}`);
    return new Promise((resolve, reject) => {
      this.client.forwardOut("127.0.0.1", 0, host, port, (err, channel) => {
        if (err) reject(new SshError(this.alias, "connect", `cannot open a tunnel to ${host}:${port}: ${err.message}`, { cause: err }));
        else resolve(channel);
      });
    });
  }

  /** True until the connection is closed or lost. */
  get isOpen(): boolean {
    return this.closing === null && this.lostReason === null;
  }

  /**
   * Closes the connection: signals TERM to spawned channels, ends the SSH
   * session, then closes jump hosts and proxy processes. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const ch of this.channels) {
        signalChannel(ch, "TERM");
        try {
          ch.close();
        } catch {}
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.client.destroy();
          resolve();
        }, 2000);
        this.client.once("close", () => {
          clearTimeout(timer);
          resolve();
        });
        if (this.clientClosed) {
          clearTimeout(timer);
          resolve();
        } else this.client.end();
      });
      this.sock?.destroy();
      if (this.sock instanceof ProxyCommandStream) await this.sock.waitExit();
      await this.jump?.close();
    })();
    return this.closing;
  }

  private assertOpen(what: string): void {
    if (this.closing) throw new SshError(this.alias, "closed", `connection already closed (wanted: ${what})`);
    if (this.lostReason) throw new SshError(this.alias, "closed", `connection lost (${this.lostReason}) (wanted: ${what})`);
  }
}

interface HandshakeInput {
  sock: Duplex | null;
  candidates: AuthCandidate[];
  deadline: number;
  log: (line: string) => void;
  route: string;
  target: string;
}

/** Runs the ssh2 handshake + auth, turning every failure into an SshError about the host. */
function handshake(settings: SshSettings, options: OpenOptions, input: HandshakeInput): Promise<{ client: Client; negotiated: Negotiated; authLabel: string }> {
  const host = settings.alias;
  const { log, candidates } = input;
  const knownFiles = [...settings.userKnownHostsFiles, ...settings.globalKnownHostsFiles];
  const lookup = settings.hostKeyAlias ?? settings.hostName;
  const lookupPort = settings.hostKeyAlias ? null : settings.port;
  const client = new Client();
  let hostKeyProblem: string | null = null;
  let fingerprint = "";
  let authIndex = -1;
  let negotiated: Omit<Negotiated, "hostKeyFingerprint"> | null = null;

  return new Promise((resolve, reject) => {
    let done = false;
    const fail = (kind: SshError["kind"], message: string, cause?: unknown) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      client.destroy();
      input.sock?.destroy();
      reject(new SshError(host, kind, message, { cause }));
    };
    const remainingMs = Math.max(1, input.deadline - performance.now());
    const timer = setTimeout(() => fail("timeout", `no SSH connection to ${input.target} (${input.route}) within ${(remainingMs / 1000).toFixed(1)} s (timeout)`), remainingMs);

    client.on("handshake", (n) => {
      negotiated = { kex: n.kex, serverHostKey: n.serverHostKey, cipher: n.cs.cipher + (n.cs.mac ? `+${n.cs.mac}` : "") };
      log(`negotiated kex ${n.kex}, host key ${n.serverHostKey}, cipher ${negotiated.cipher}, compression ${n.cs.compress}`);
    });
    client.on("ready", () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      client.removeAllListeners("error");
      client.on("error", () => {}); // later errors surface through channel/close handling
      resolve({ client, negotiated: { ...negotiated!, hostKeyFingerprint: fingerprint }, authLabel: candidates[authIndex]?.label ?? "?" });
    });
    client.on("error", (err: Error & { level?: string; code?: string }) => {
      if (hostKeyProblem) return fail("hostkey", hostKeyProblem, err);
      if (err.level === "client-authentication") {
        return fail("auth", `authentication as ${settings.user} failed; offered: ${candidates.map((c) => c.label).join("; ")} (IdentitiesOnly ${settings.identitiesOnly ? "yes" : "no"}, config ${settings.configFile ?? "none"})`, err);
      }
      if (err.level === "client-timeout") return fail("timeout", `no SSH connection to ${input.target} (${input.route}) within the timeout`, err);
      const proxyErr = input.sock instanceof ProxyCommandStream && input.sock.stderr ? `; proxy said: ${input.sock.stderr}` : "";
      const what = err.code === "ECONNREFUSED" ? "connection refused" : err.message;
      fail("connect", `cannot connect to ${input.target} (${input.route}): ${what}${proxyErr}`, err);
    });
    client.on("close", () => {
      const proxyErr = input.sock instanceof ProxyCommandStream && input.sock.stderr ? `: ${input.sock.stderr}` : "";
      fail("connect", `connection to ${input.target} (${input.route}) closed before authentication${proxyErr}`);
    });

    const config: ConnectConfig = {
      username: settings.user,
      readyTimeout: remainingMs + 1000, // our own timer fires first, with the better message
      keepaliveInterval: 15000,
      keepaliveCountMax: 4,
      algorithms: { serverHostKey: hostKeyAlgorithms(knownKeyTypes(lookup, lookupPort, knownFiles)) as never },
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        const check = checkHostKey(lookup, lookupPort, key, knownFiles);
        fingerprint = fingerprintSha256(key);
        const decision = decideHostKey(host, check, settings.strictHostKeyChecking);
        log(`host key ${check.keyType} ${check.fingerprint} for '${check.lookupName}': ${check.status}` + (check.entries[0] ? ` (${check.entries[0].file}:${check.entries[0].line})` : ""));
        if (decision.warning) (options.warn ?? ((l: string) => console.error(l)))(`${host}: ${decision.warning}`);
        if (decision.record) appendKnownHost(decision.record, check.lookupName, key);
        if (!decision.accept) hostKeyProblem = decision.message ?? "host key refused";
        verify(decision.accept);
      },
      authHandler: (_left, _partial, next) => {
        authIndex++;
        const c = candidates[authIndex];
        if (c) log(`trying ${c.method.type} ${c.label}`);
        next(c ? c.method : (false as never));
      },
    };
    if (options.traceProtocol) config.debug = (m: string) => log(`ssh2: ${m}`);
    if (input.sock) config.sock = input.sock;
    else {
      config.host = settings.hostName;
      config.port = settings.port;
    }
    try {
      client.connect(config);
    } catch (err) {
      fail("connect", `cannot connect to ${input.target}: ${(err as Error).message}`, err);
    }
  });
}
