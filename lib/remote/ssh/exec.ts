/**
 * Commands over an established ssh2 client, as {@link RemoteProcess}es.
 *
 * Remote processes and channel close: sshd (without a pty, which batou never
 * requests) does not kill a command when its channel or connection closes; the
 * command sees EOF on stdin and EPIPE on output. So to stop one we first send
 * a `signal` channel request (TERM; OpenSSH's sshd delivers it with killpg()
 * to the session's whole process group, verified with 9.2) and then close the
 * channel. Long-lived remote programs (the batou agent) must exit on stdin
 * EOF: that is what makes closing the connection stop them.
 *
 * @module
 */
import type { Client, ClientChannel } from "ssh2";
import type { ExitStatus, RemoteProcess } from "../transport.ts";
import { SshError } from "./ssh-error.ts";

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

/**
 * Opens an exec channel; errors name the host and the command. The exit
 * status is recorded inside ssh2's callback: ssh2 may deliver the whole
 * output, `exit` and `close` in the same tick, before an awaiting caller could
 * attach listeners (data is buffered by the stream, `exit` is not).
 */
export function openExecChannel(client: Client, host: string, command: string, onOpen?: (channel: ClientChannel) => void): Promise<RemoteProcess> {
  return new Promise((resolve, reject) => {
    try {
      client.exec(command, (err, channel) => {
        if (err) return reject(new SshError(host, "channel", `cannot start "${describeCommand(command)}": ${err.message}`, { cause: err }));
        let status: ExitStatus = { code: null, signal: null };
        channel.once("exit", (code: number | null, signal?: string) => (status = { code: code ?? null, signal: signal?.replace(/^SIG/, "") ?? null }));
        const exit = new Promise<ExitStatus>((done) => channel.once("close", () => done(status)));
        onOpen?.(channel);
        resolve({
          stdio: channel,
          stderr: channel.stderr,
          exit,
          signal: (name) => signalChannel(channel, name),
          close: () => channel.close(),
        });
      });
    } catch (err) {
      reject(new SshError(host, "closed", `cannot start "${describeCommand(command)}": ${(err as Error).message}`, { cause: err }));
    }
  });
}
