/**
 * Sends one local file to a host over a command on its transport (the
 * receiver, commands.ts `streamReceiver`, writes it to a temporary name,
 * checks the size, then renames it into place), so a broken transfer never leaves a half-written file under the
 * real name. For a file the host has no earlier version of (a fresh host's
 * executable) this is faster than rsync: no delta to compute, and the bytes
 * skip rsync and the rsh bridge, two local hops.
 *
 * ```ts
 * await streamFile(transport, "/cache/batou-0.1.0", streamReceiver("/home/u/app/.batou", "batou-0.1.0", size, "SHA"), { stallSeconds: 30 });
 * ```
 *
 * @module
 */
import { type FileHandle, open } from "node:fs/promises";
import { SshError } from "../ssh/ssh-error.ts";
import { endReason, type ExitStatus, type Transport } from "../transport.ts";

/** Bytes per channel write. */
const CHUNK = 1 << 16;

export interface StreamOptions {
  /** Fail when no byte could be sent for this many seconds. */
  stallSeconds: number;
  /** Called with the bytes sent so far, after each chunk (for progress output). */
  onProgress?: (bytesSent: number) => void;
}

/** Streams `localFile` into `command`'s stdin on the host (a `streamReceiver`); rejects naming the host on any failure. */
export async function streamFile(transport: Transport, localFile: string, command: string, options: StreamOptions): Promise<{ bytesSent: number }> {
  const file = await open(localFile);
  try {
    return await streamChunks(transport, fileChunks(file), localFile, command, options);
  } finally {
    await file.close();
  }
}

async function* fileChunks(file: FileHandle): AsyncGenerator<Uint8Array> {
  for (;;) {
    // a new buffer each time: ssh2 may hold on to a chunk after write() returns
    const chunk = Buffer.allocUnsafe(CHUNK);
    const { bytesRead } = await file.read(chunk, 0, CHUNK, null);
    if (bytesRead === 0) return;
    yield chunk.subarray(0, bytesRead);
  }
}

/**
 * Streams `chunks` into `command`'s stdin on the host, then EOF. When the
 * source fails, the command is stopped (TERM) before EOF, so the receiver
 * never takes a truncated stream for a whole one. `what` names the data in
 * messages.
 */
export async function streamChunks(transport: Transport, chunks: AsyncIterable<Uint8Array>, what: string, command: string, options: StreamOptions): Promise<{ bytesSent: number }> {
  const host = transport.host;
  const remote = await transport.spawn(command);
  const channel = remote.stdio;
  const stderr: Buffer[] = [];
  channel.resume(); // stdout: nothing expected, but an unread stream never closes
  channel.on("error", () => {}); // a write after the remote side ended: reported by its exit
  remote.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
  const exit = remote.exit;
  let stalled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const progress = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      remote.signal("TERM");
      remote.close();
    }, options.stallSeconds * 1000);
  };
  let bytesSent = 0;
  try {
    progress();
    try {
      for await (const chunk of chunks) {
        if (stalled) break;
        const ok = channel.write(chunk);
        bytesSent += chunk.length;
        options.onProgress?.(bytesSent);
        if (!ok) await Promise.race([new Promise((resolve) => channel.once("drain", resolve)), exit]);
        if (channel.destroyed || channel.writableEnded) break;
        progress();
      }
    } catch (error) {
      remote.signal("TERM");
      remote.close();
      throw error;
    }
    channel.end();
    // a stalled host may not answer the close either: do not wait for it long
    const status: ExitStatus = await (stalled ? Promise.race([exit, Bun.sleep(2000).then(() => ({ code: null, signal: null }))]) : exit);
    if (stalled) throw new SshError(host, "timeout", `sending ${what} stalled for ${options.stallSeconds} s (timeout)`);
    if (status.code !== 0) {
      const detail = Buffer.concat(stderr).toString("utf8").trim().split("\n").slice(-3).join(" | ");
      const how = status.code !== null ? `exit ${status.code}` : `the receiver ${endReason(status, transport.lostReason)}`;
      throw new SshError(host, "channel", `sending ${what} failed (${how})${detail ? `: ${detail}` : ""}`);
    }
    return { bytesSent };
  } finally {
    clearTimeout(timer);
  }
}
