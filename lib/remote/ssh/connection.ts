/**
 * One SSH connection to one host, opened once and shared by everything a run
 * does on that host (agent channel, rsync, commands), built on `ssh2`: the
 * first {@link Transport}.
 *
 * `open()` resolves the alias through ssh_config, collects identities (agent,
 * files), reaches the host directly, through `ProxyCommand` or through a
 * `ProxyJump` chain (each hop a nested SshConnection owned by this one),
 * verifies the host key against known_hosts and authenticates, all bounded by
 * one deadline. rsync reaches the host through the rsh bridge
 * (ship/rsh-server.ts) over this same connection. `close()` ends the
 * connection, its rsh bridges, jump hosts and proxy processes; remote commands
 * then see EOF on stdin (see exec.ts).
 *
 * @module
 */
import type { Duplex } from "node:stream";
import type { Client, ClientChannel } from "ssh2";
import { bridgeShell } from "../ship/rsh-server.ts";
import type { RemoteProcess, RsyncShell, Transport } from "../transport.ts";
import { SshError } from "./ssh-error.ts";
import { collectAuthCandidates, type PassphrasePrompt } from "./auth-keys.ts";
import { ProxyCommandStream } from "./proxy-command.ts";
import { handshake, type Negotiated } from "./handshake.ts";
import { openExecChannel, signalChannel } from "./exec.ts";
import { resolveSshSettings, type SshSettings } from "./config.ts";

export type { Negotiated } from "./handshake.ts";

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

/** An open SSH connection to one host. */
export class SshConnection implements Transport {
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
  private readonly rsyncShells = new Set<RsyncShell>();
  private closing: Promise<void> | null = null;
  private lostWhy: string | null = null;
  private clientClosed = false;

  private constructor(init: { settings: SshSettings; client: Client; sock: Duplex | null; jump: SshConnection | null; negotiated: Negotiated; connectMs: number }) {
    this.alias = init.settings.alias;
    this.settings = init.settings;
    this.client = init.client;
    this.sock = init.sock;
    this.jump = init.jump;
    this.negotiated = init.negotiated;
    this.connectMs = init.connectMs;
    init.client.on("error", (e) => (this.lostWhy ??= e.message));
    init.client.on("close", () => {
      this.clientClosed = true;
      this.lostWhy ??= "connection closed";
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
    const limit = Math.min(options.timeoutSeconds ?? Infinity, settings.connectTimeoutSeconds ?? Infinity);
    const timeoutSeconds = Number.isFinite(limit) ? limit : 30;
    const deadline = started + timeoutSeconds * 1000;
    const route = settings.proxyJump.length ? `via ProxyJump ${settings.proxyJump.map((j) => j.host).join(",")}`
      : settings.proxyCommand ? `via ProxyCommand "${settings.proxyCommand}"` : "direct TCP";
    const target = `${settings.user}@${settings.hostName}:${settings.port}`;
    log(`connecting to ${target} ${route} (config ${settings.configFile ?? "none"}, timeout ${timeoutSeconds} s)`);

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
        const remaining = Math.max(0.1, Math.round((deadline - performance.now()) / 100) / 10);
        jump = await SshConnection.openWithSettings(jumpSettings, { ...options, timeoutSeconds: remaining, log: (l) => log(`jump ${last.host}: ${l}`) })
          .catch((e: unknown) => {
            const inner = e instanceof SshError ? e : null;
            throw new SshError(host, inner?.kind ?? "connect", `cannot reach jump host ${last.host}: ${(e as Error).message}`, { cause: e });
          });
        const viaJump = jump;
        sock = await new Promise<Duplex>((resolve, reject) => {
          const timer = setTimeout(() => reject(new SshError(host, "timeout",
            `no tunnel from jump host ${last.host} to ${settings.hostName}:${settings.port} within the timeout`)), Math.max(1, deadline - performance.now()));
          viaJump.forwardOut(settings.hostName, settings.port).then(resolve, (e: Error) =>
            reject(new SshError(host, "connect", `cannot reach ${settings.hostName}:${settings.port} from jump host: ${e.message}`, { cause: e })))
            .finally(() => clearTimeout(timer));
        });
      } else if (settings.proxyCommand) {
        sock = new ProxyCommandStream(settings.proxyCommand, log);
      }
      const result = await handshake(settings, options, { sock, candidates, deadline, timeoutSeconds, log, route, target });
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

  get host(): string {
    return this.alias;
  }

  get user(): string {
    return this.settings.user;
  }

  get description(): string {
    return `${this.settings.user}@${this.settings.hostName}, ${this.negotiated.kex}`;
  }

  /**
   * Starts a command (through the login shell) on its own exec channel. The
   * program must exit on stdin EOF.
   */
  async spawn(command: string): Promise<RemoteProcess> {
    this.assertOpen(command);
    return openExecChannel(this.client, this.alias, command, (channel) => {
      this.channels.add(channel);
      channel.once("close", () => this.channels.delete(channel));
    });
  }

  /** rsync's remote shell: the rsh bridge (a unix socket in a private temporary folder) relaying to exec channels here. */
  async rsyncShell(allow: (command: string) => boolean, log?: (line: string) => void): Promise<RsyncShell> {
    this.assertOpen("rsync");
    return bridgeShell(this, { allow, log }, this.rsyncShells);
  }

  /** Opens a TCP tunnel from the host to `host:port` (used for ProxyJump). */
  async forwardOut(host: string, port: number): Promise<ClientChannel> {
    this.assertOpen(`tunnel to ${host}:${port}`);
    return new Promise((resolve, reject) => {
      this.client.forwardOut("127.0.0.1", 0, host, port, (err, channel) => {
        if (err) reject(new SshError(this.alias, "connect", `cannot open a tunnel to ${host}:${port}: ${err.message}`, { cause: err }));
        else resolve(channel);
      });
    });
  }

  /** Why the connection is gone (its error, or "connection closed"); null while it is up. */
  get lostReason(): string | null {
    return this.lostWhy;
  }

  /** True until the connection is closed or lost. */
  get isOpen(): boolean {
    return this.closing === null && this.lostWhy === null;
  }

  /**
   * Closes the connection: stops rsh bridges (removing their sockets), signals
   * TERM to spawned channels and ends the SSH session (a disconnect, then
   * end of input). It resolves then, without a round trip for the host's
   * acknowledgement: the host closes its side, after which the socket, the
   * proxy process (which ends with its input) and jump hosts are closed in
   * the background ({@link ended}; destroyed after 2 s at most). Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.rsyncShells].map((shell) => shell.close()));
      for (const ch of this.channels) {
        signalChannel(ch, "TERM");
        try {
          ch.close();
        } catch {}
      }
      this.ended = new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.client.destroy();
          resolve();
        }, 2000);
        timer.unref?.();
        this.client.once("close", () => {
          clearTimeout(timer);
          resolve();
        });
        if (this.clientClosed) {
          clearTimeout(timer);
          resolve();
        } else this.client.end();
      }).then(async () => {
        this.sock?.destroy();
        if (this.sock instanceof ProxyCommandStream) await this.sock.waitExit();
        await this.jump?.close();
        await this.jump?.ended;
      });
    })();
    return this.closing;
  }

  /** Settles once a closed connection is gone on both sides (socket, proxy, jump hosts). */
  ended?: Promise<void>;

  private assertOpen(what: string): void {
    if (this.closing) throw new SshError(this.alias, "closed", `connection already closed (wanted: ${what})`);
    if (this.lostWhy) throw new SshError(this.alias, "closed", `connection lost (${this.lostWhy}) (wanted: ${what})`);
  }
}
