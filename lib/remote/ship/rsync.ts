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
export interface ShipOptions extends Omit<RsyncSpec, "localDir" | "remoteDir" | "rsh"> {
  /** Kill rsync and fail after this many seconds. */
  timeoutSeconds?: number;
  log?: (line: string) => void;
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
    const args = rsyncArgv({ ...options, localDir, remoteDir, rsh: shell.argv });
    log(`rsync: ${args.map(shellQuote).join(" ")}`);
    const proc = Bun.spawn(args, { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env, LC_ALL: "C" } });
    let timedOut = false;
    const timer = options.timeoutSeconds === undefined ? undefined : setTimeout(() => {
      timedOut = true;
      proc.kill("SIGTERM");
    }, options.timeoutSeconds * 1000);
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    clearTimeout(timer);
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
