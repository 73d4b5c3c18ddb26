/**
 * The ssh2 handshake of one connection: host key verification against
 * known_hosts (policy in known-hosts.ts), authentication with the collected
 * candidates, all under the open() deadline, every failure turned into an
 * {@link SshError} naming the host and how it was reached.
 *
 * @module
 */
import type { Duplex } from "node:stream";
import { Client, type ConnectConfig } from "ssh2";
import { SshError } from "./ssh-error.ts";
import type { AuthCandidate } from "./auth-keys.ts";
import { appendKnownHost, checkHostKey, decideHostKey, fingerprintSha256, knownKeyTypes } from "./known-hosts.ts";
import { ProxyCommandStream } from "./proxy-command.ts";
import type { OpenOptions } from "./connection.ts";
import type { SshSettings } from "./config.ts";

/** What the handshake negotiated. */
export interface Negotiated {
  kex: string;
  serverHostKey: string;
  cipher: string;
  hostKeyFingerprint: string;
}

/** Keepalive interval and how many may go unanswered (ssh2 counts replies to its own pings only). */
export const KEEPALIVE_MS = 1000;
export const KEEPALIVE_COUNT = 4;

const DEFAULT_HOST_KEY_ALGOS = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"];

/** Known key types first, so the host presents the key known_hosts has (as OpenSSH does). */
function hostKeyAlgorithms(knownTypes: string[]): string[] {
  const preferred = knownTypes.flatMap((t) => (t === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [t]))
    .filter((a) => DEFAULT_HOST_KEY_ALGOS.includes(a));
  return [...new Set([...preferred, ...DEFAULT_HOST_KEY_ALGOS])];
}

/** What handshake() needs besides the settings. */
export interface HandshakeInput {
  sock: Duplex | null;
  candidates: AuthCandidate[];
  deadline: number;
  /** The whole open() timeout, for messages. */
  timeoutSeconds: number;
  log: (line: string) => void;
  route: string;
  target: string;
}

/** Runs the ssh2 handshake + auth, turning every failure into an SshError about the host. */
export function handshake(settings: SshSettings, options: OpenOptions, input: HandshakeInput): Promise<{ client: Client; negotiated: Negotiated; authLabel: string }> {
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
    const timer = setTimeout(() => fail("timeout", `no SSH connection to ${input.target} (${input.route}) within ${input.timeoutSeconds} s (timeout)`), remainingMs);

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
      const what = err.code === "ECONNREFUSED" ? "connection refused" : err.message;
      connectionFailed(`cannot connect to ${input.target} (${input.route}): ${what}`, err);
    });
    client.on("close", () => connectionFailed(`connection to ${input.target} (${input.route}) closed before authentication`));
    /** Connection-level failure; with a ProxyCommand, waits briefly for its exit status and stderr. */
    const connectionFailed = (message: string, cause?: unknown) => {
      if (done) return;
      const proxy = input.sock instanceof ProxyCommandStream ? input.sock : null;
      if (!proxy) return fail("connect", message, cause);
      const grace = new Promise<"running">((r) => setTimeout(() => r("running"), 200));
      Promise.race([proxy.waitExit(), grace]).then((status) => {
        const exited = status === "running" ? "" : `; the ProxyCommand exited with status ${status}`;
        fail("connect", `${message}${exited}${proxy.stderr ? `: ${proxy.stderr}` : ""}`, cause);
      });
    };

    const config: ConnectConfig = {
      username: settings.user,
      readyTimeout: remainingMs + 1000, // our own timer fires first, with the better message
      // a lost host (sshd gone, link dropped) is noticed within ~5 s, also while a long
      // update runs: a keepalive each second, 4 unanswered ones end the connection
      keepaliveInterval: KEEPALIVE_MS,
      keepaliveCountMax: KEEPALIVE_COUNT,
      algorithms: { serverHostKey: hostKeyAlgorithms(knownKeyTypes(lookup, lookupPort, knownFiles)) as never },
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        const check = checkHostKey(lookup, lookupPort, key, knownFiles);
        fingerprint = fingerprintSha256(key);
        const decision = decideHostKey(host, check, settings.strictHostKeyChecking);
        log(`host key ${check.keyType} ${check.fingerprint} for '${check.lookupName}': ${check.status}` + (check.entries[0] ? ` (${check.entries[0].file}:${check.entries[0].line})` : ""));
        if (decision.warning) (options.warn ?? ((l: string) => console.error(`${host}: ${l}`)))(decision.warning);
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
