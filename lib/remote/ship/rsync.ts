/**
 * Shipping a local directory to a host with the system `rsync`, through the
 * host's transport (no second handshake): rsync's `--rsh` is the transport's
 * remote shell ({@link Transport.rsyncShell}); the command line is built by
 * `rsyncArgv` (commands.ts).
 *
 * Delta transfer with `--delete`; excludes are anchored at the top of the
 * shipped tree (`/work` excludes only the top-level `work`, not `lib/work`:
 * the original batou dropped every directory called `work`). Excluded paths
 * are also protected from deletion on the host (no `--delete-excluded`), so
 * the host's own `work/` survives.
 *
 * @module
 */
import { existsSync, statSync } from "node:fs";
import { type RsyncSpec, rsyncArgv, rsyncRemotePath, shellQuote } from "../commands.ts";
import { SshError } from "../ssh/ssh-error.ts";
import type { Transport } from "../transport.ts";
import { streamDirectory } from "./stream-tree.ts";

/** Options of {@link shipDirectory}: the rsync spec without what the transport provides. */
export interface ShipOptions extends Omit<RsyncSpec, "localDir" | "remoteDir" | "rsh" | "progress"> {
  /** Kill rsync and fail after this many seconds. */
  timeoutSeconds?: number;
  log?: (line: string) => void;
  /** Called while rsync runs with the bytes of file data transferred so far and, once rsync knows it, the total. */
  onProgress?: (bytes: number, total?: number) => void;
}

/**
 * The last overall progress in a chunk of `--info=progress2` output
 * (`   1,234,567  45%   12.34MB/s    0:00:03 (xfr#1, to-chk=0/1)`): the bytes
 * so far and the total they are that percentage of.
 */
export function parseRsyncProgress(text: string): { bytes: number; total?: number } | undefined {
  const matches = [...text.matchAll(/^\s*([\d,.']+)\s+(\d+)%/gm)];
  const last = matches.at(-1);
  if (!last) return undefined;
  const bytes = Number(last[1]!.replace(/[,.']/g, ""));
  const percent = Number(last[2]);
  return { bytes, total: percent > 0 ? Math.round((bytes * 100) / percent) : undefined };
}

/** All of `stream` as text; `onChunk` sees each piece as it comes. */
async function readAll(stream: ReadableStream<Uint8Array>, onChunk?: (text: string) => void): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of stream) {
    const piece = decoder.decode(chunk, { stream: true });
    text += piece;
    onChunk?.(piece);
  }
  return text + decoder.decode();
}

/** What a shipment transferred, from rsync's `--stats`. */
export interface ShipResult {
  bytesSent: number;
  bytesReceived: number;
  filesTransferred: number;
  durationMs: number;
  /** The remote command rsync ran (for debug output). */
  remoteCommand: string;
}

/** Parses `--stats` output (C locale; thousands separators tolerated). */
export function parseRsyncStats(text: string): { bytesSent: number; bytesReceived: number; filesTransferred: number } {
  const num = (re: RegExp) => {
    const m = re.exec(text);
    return m ? Number(m[1].replace(/[,.']/g, "")) : 0;
  };
  return {
    bytesSent: num(/Total bytes sent:\s*([\d,.']+)/),
    bytesReceived: num(/Total bytes received:\s*([\d,.']+)/),
    filesTransferred: num(/Number of regular files transferred:\s*([\d,.']+)/),
  };
}

/** Ships the contents of `localDir` into `remoteDir` on the transport's host (as a tar stream when the host has no rsync). */
export async function shipDirectory(transport: Transport, localDir: string, remoteDir: string, options: ShipOptions = {}): Promise<ShipResult> {
  const host = transport.host;
  if (!existsSync(localDir) || !statSync(localDir).isDirectory()) {
    throw new SshError(host, "config", `cannot ship ${localDir}: not a directory`);
  }
  if (transport.remoteRsync === false) return streamDirectory(transport, localDir, remoteDir, options);
  const started = performance.now();
  const log = options.log ?? (() => {});
  const remotePath = rsyncRemotePath({ ...options, remoteDir });
  const shell = await transport.rsyncShell((command) => command.startsWith(`${remotePath} --server `), log);
  try {
    const { onProgress } = options;
    const args = rsyncArgv({ ...options, localDir, remoteDir, rsh: shell.argv, progress: onProgress !== undefined });
    log(`rsync: ${args.map(shellQuote).join(" ")}`);
    // its own process group: a timeout stops rsync and the remote shell it started (which holds its output open)
    const proc = Bun.spawn(args, { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env, LC_ALL: "C" }, detached: true });
    let timedOut = false;
    const timer = options.timeoutSeconds === undefined ? undefined : setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-proc.pid, "SIGTERM");
      } catch {}
    }, options.timeoutSeconds * 1000);
    let partial = ""; // progress lines end in \r; a chunk may end within one
    const progress = (piece: string) => {
      const lines = (partial + piece).split(/[\r\n]/);
      partial = lines.pop()!;
      const seen = parseRsyncProgress(lines.join("\n"));
      if (seen) onProgress!(seen.bytes, seen.total);
    };
    // the output normally ends with rsync; an OpenSSH master may hold a stopped command's stderr open: a second at most after the exit
    const output = Promise.all([readAll(proc.stdout, onProgress && progress), new Response(proc.stderr).text()]);
    const code = await proc.exited;
    clearTimeout(timer);
    const [stdout, stderr] = await Promise.race([output, Bun.sleep(1000).then(() => ["", "(its output did not end)"])]);
    if (timedOut) {
      throw new SshError(host, "timeout", `rsync of ${localDir} to ${remoteDir} did not finish within ${options.timeoutSeconds} s (timeout)`);
    }
    if (code !== 0) {
      throw new SshError(host, "channel", `rsync of ${localDir} to ${remoteDir} failed (exit ${code}): ${stderr.trim().split("\n").slice(-5).join(" | ")}`);
    }
    const stats = parseRsyncStats(stdout);
    const result: ShipResult = { ...stats, durationMs: performance.now() - started, remoteCommand: shell.commands[0] ?? "" };
    log(`rsync: ${result.filesTransferred} file(s), sent ${result.bytesSent} B, received ${result.bytesReceived} B in ${result.durationMs.toFixed(0)} ms`);
    return result;
  } finally {
    await shell.close();
  }
}
