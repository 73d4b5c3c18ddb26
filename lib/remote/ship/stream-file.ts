/**
 * Sends one local file to a host over an exec channel of the existing SSH
 * connection: `cat` into a temporary name, size checked, then renamed into
 * place, so a broken transfer never leaves a half-written file under the
 * real name. For a file the host has no earlier version of (a fresh host's
 * executable) this is faster than rsync: no delta to compute, and the bytes
 * skip rsync and the rsh bridge, two local hops.
 *
 * ```ts
 * await streamFile(conn, "/cache/batou-0.1.0", streamCommand("/home/u/app/.batou", "batou-0.1.0", size, "SHA"), { stallSeconds: 30 });
 * ```
 *
 * @module
 */
import { open } from "node:fs/promises";
import { SshError } from "../ssh/ssh-error.ts";
import { shellQuote } from "./rsync.ts";
import type { ChannelOpener } from "./rsh-server.ts";
import { channelExit, signalChannel } from "../ssh/exec.ts";

/** Bytes per channel write. */
const CHUNK = 1 << 16;

/**
 * The remote side: write stdin to `dir/.name.part` (through `decompress`, e.g.
 * `zstd -dcq`, when the stream is compressed), check its size, make it
 * executable, move it to `dir/name` and record `SHA SIZE MTIME` beside it
 * (the sidecar the next run's launch compares).
 */
export function streamCommand(dir: string, name: string, size: number, sha256: string, decompress = "cat"): string {
  const part = `.${name}.part`;
  return [
    `cd ${shellQuote(dir)}`,
    `${decompress} > ${part}`,
    `[ "$(stat -c %s ${part})" = ${size} ]`,
    `chmod 755 ${part}`,
    `mv -f ${part} ${name}`,
    `echo "${sha256} $(stat -c '%s %Y' ${name})" > ${part}`,
    `mv -f ${part} ${name}.sha256`,
  ].join(" && ");
}

export interface StreamOptions {
  /** Fail when no byte could be sent for this many seconds. */
  stallSeconds: number;
}

/** Streams `localFile` into `command`'s stdin on the host; rejects naming the host on any failure. */
export async function streamFile(conn: ChannelOpener, localFile: string, command: string, options: StreamOptions): Promise<{ bytesSent: number }> {
  const host = conn.alias;
  const channel = await conn.spawn(command);
  const stderr: Buffer[] = [];
  channel.resume(); // stdout: nothing expected, but an unread stream never closes
  channel.on("error", () => {}); // a write after the remote side ended: reported by its exit
  channel.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
  const exit = channelExit(channel);
  let stalled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const progress = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      signalChannel(channel, "TERM");
      channel.close();
    }, options.stallSeconds * 1000);
  };
  const file = await open(localFile);
  let bytesSent = 0;
  try {
    progress();
    for (;;) {
      // a new buffer each time: ssh2 may hold on to a chunk after write() returns
      const chunk = Buffer.allocUnsafe(CHUNK);
      const { bytesRead } = await file.read(chunk, 0, CHUNK, null);
      if (bytesRead === 0 || stalled) break;
      const ok = channel.write(chunk.subarray(0, bytesRead));
      bytesSent += bytesRead;
      if (!ok) await Promise.race([new Promise((resolve) => channel.once("drain", resolve)), exit]);
      if (channel.destroyed || channel.writableEnded) break;
      progress();
    }
    channel.end();
    // a stalled host may not answer the close either: do not wait for it long
    const { code } = await (stalled ? Promise.race([exit, Bun.sleep(2000).then(() => ({ code: null }))]) : exit);
    if (stalled) throw new SshError(host, "timeout", `sending ${localFile} stalled for ${options.stallSeconds} s (timeout)`);
    if (code !== 0) {
      const detail = Buffer.concat(stderr).toString("utf8").trim().split("\n").slice(-3).join(" | ");
      throw new SshError(host, "channel", `sending ${localFile} failed (exit ${code ?? "?"})${detail ? `: ${detail}` : ""}`);
    }
    return { bytesSent };
  } finally {
    clearTimeout(timer);
    await file.close();
  }
}
