/**
 * Running one command over an established ssh2 client: collect stdout and
 * stderr, feed stdin, and bound it with a timeout.
 *
 * Remote processes and channel close: sshd (without a pty, which batou never
 * requests) does not kill a command when its channel or connection closes; the
 * command sees EOF on stdin and EPIPE on output. So on timeout we first send a
 * `signal` channel request (TERM; OpenSSH's sshd delivers it with killpg() to
 * the session's whole process group, verified with 9.2) and then close the
 * channel. Long-lived remote programs (the batou agent) must exit on stdin
 * EOF: that is what makes closing the connection stop them.
 *
 * @module
 */
import type { Client, ClientChannel } from "ssh2";
import { SshError } from "./ssh-error.ts";

/** The outcome of a finished command. `code` is null when it died by a signal. */
export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Options of `exec`. */
export interface ExecOptions {
  /** Written to the command's stdin, which is then closed (stdin is always closed). */
  stdin?: string | Uint8Array;
  /** Fails the command after this many seconds (the channel is signalled and closed). */
  timeoutSeconds?: number;
}

/**
 * Sends a `signal` channel request. ssh2's `channel.signal()` silently does
 * nothing once stdin was closed (it checks `writable`), which is exactly when
 * we need it, so this goes to the protocol directly while the channel is open.
 */
export function signalChannel(channel: ClientChannel, name: string): void {
  const ch = channel as unknown as { outgoing?: { id: number; state: string }; _client?: { _protocol?: { signal(id: number, n: string): void } } };
  try {
    if (ch.outgoing && (ch.outgoing.state === "open" || ch.outgoing.state === "eof")) ch._client?._protocol?.signal(ch.outgoing.id, name);
  } catch {
    // the connection is already gone: nothing left to signal
  }
}

/** Shortens a command for messages. */
export function describeCommand(command: string): string {
  const oneLine = command.replace(/\s+/g, " ").trim();
  return oneLine.length > 120 ? `${oneLine.slice(0, 117)}...` : oneLine;
}

/** Exit statuses recorded at the moment ssh2 emits them (see {@link channelExit}). */
const exits = new WeakMap<ClientChannel, { code: number | null; signal: string | null }>();
/** Channels whose `close` has been emitted. */
const closed = new WeakSet<ClientChannel>();

/**
 * Opens an exec channel; errors name the host and the command. `onOpen` runs
 * synchronously inside ssh2's callback: ssh2 may deliver the whole output,
 * `exit` and `close` in the same tick, before an awaiting caller could attach
 * listeners (data is buffered by the stream, `exit` is not). The exit status is
 * recorded here in any case: use {@link channelExit} instead of listening for `exit`.
 */
export function openExecChannel(client: Client, host: string, command: string, onOpen?: (channel: ClientChannel) => void): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    try {
      client.exec(command, (err, channel) => {
        if (err) return reject(new SshError(host, "channel", `cannot start "${describeCommand(command)}": ${err.message}`, { cause: err }));
        channel.once("exit", (code: number | null, signal?: string) => exits.set(channel, { code: code ?? null, signal: signal ?? null }));
        channel.once("close", () => closed.add(channel));
        onOpen?.(channel);
        resolve(channel);
      });
    } catch (err) {
      reject(new SshError(host, "closed", `cannot start "${describeCommand(command)}": ${(err as Error).message}`, { cause: err }));
    }
  });
}

/**
 * Resolves with the exit status of a channel from {@link openExecChannel} /
 * `SshConnection.spawn` once it has closed; `code` and `signal` are null
 * when the command ended without reporting a status (connection lost).
 */
export function channelExit(channel: ClientChannel): Promise<{ code: number | null; signal: string | null }> {
  const result = () => exits.get(channel) ?? { code: null, signal: null };
  if (closed.has(channel)) return Promise.resolve(result());
  return new Promise((resolve) => channel.once("close", () => resolve(result())));
}

/** Runs `command` and collects its output. */
export function execCommand(client: Client, host: string, command: string, options: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    openExecChannel(client, host, command, (channel) => collect(channel, host, command, options, resolve, reject)).catch(reject);
  });
}

function collect(
  channel: ClientChannel, host: string, command: string, options: ExecOptions,
  resolve: (r: ExecResult) => void, reject: (e: Error) => void,
): void {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let settled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const finish = (error?: Error) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    const exit = exits.get(channel);
    if (error) reject(error);
    else if (!exit) reject(new SshError(host, "closed", `"${describeCommand(command)}" ended without an exit status (connection lost?)`));
    else resolve({ ...exit, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") });
  };
  channel.on("data", (d: Buffer) => out.push(d));
  channel.stderr.on("data", (d: Buffer) => err.push(d));
  channel.on("close", () => finish());
  if (options.timeoutSeconds !== undefined) {
    timer = setTimeout(() => {
      signalChannel(channel, "TERM");
      channel.close();
      finish(new SshError(host, "timeout", `"${describeCommand(command)}" did not finish within ${options.timeoutSeconds} s (timeout); the channel was closed`));
    }, options.timeoutSeconds * 1000);
  }
  if (options.stdin !== undefined) channel.end(Buffer.from(options.stdin));
  else channel.end();
}
