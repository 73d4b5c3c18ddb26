/**
 * Shipping a local directory to a host with the system `rsync`, through the
 * host's existing SSH connection (no second handshake): rsync's `--rsh` is the
 * rsh bridge (rsh-bridge.ts), which relays to an exec channel opened by
 * rsh-server.ts on the SshConnection.
 *
 * Delta transfer with `--delete`; excludes are anchored at the top of the
 * shipped tree (`/work` excludes only the top-level `work`, not `lib/work`:
 * the original batou dropped every directory called `work`). Excluded paths
 * are also protected from deletion on the host (no `--delete-excluded`), so
 * the host's own `work/` survives.
 *
 * @module
 */
import { runningRelease } from "../../bootstrap/release-executable.ts";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { SshError } from "../ssh/ssh-error.ts";
import { isCompiled } from "./host-executable.ts";
import { type ChannelOpener, serveRshBridge } from "./rsh-server.ts";

/**
 * Default excludes. Anchored (leading `/`) except `*.nacl`: encrypted secrets
 * never leave the deploying machine, wherever they are in the tree.
 */
export const DEFAULT_EXCLUDES = ["/.git", "/node_modules", "/work", "/dist", "/.batou-lock", "*.nacl"];

/** Options of {@link shipDirectory}. */
export interface ShipOptions {
  excludes?: string[];
  /** Run the remote rsync as this user: `--rsync-path "sudo -n -u USER rsync"`. */
  sudoUser?: string;
  /** The remote rsync command (default `rsync`, or the sudo form with `sudoUser`). */
  rsyncPath?: string;
  /** Create the remote directory (`mkdir -p`, as `sudoUser` when set) first. Default true. */
  createRemoteDir?: boolean;
  /**
   * How rsync starts the bridge, e.g. `["/usr/local/bin/batou", "__rsh-bridge"]`
   * for the compiled executable. Default: {@link defaultBridgeCommand}.
   */
  bridgeCommand?: string[];
  /** Kill rsync and fail after this many seconds. */
  timeoutSeconds?: number;
  /** Compress (`-z`): worth it on slow links, costs CPU. */
  compress?: boolean;
  /**
   * Compare modification times to the nanosecond (`--modify-window=-1`, rsync
   * >= 3.1.3 on both sides). Default true: with whole seconds, a file rewritten
   * with the same size within the second of the last shipment is silently
   * skipped. `checksum` is the thorough (and slower) alternative.
   */
  exactTimes?: boolean;
  /** Compare file contents (`--checksum`) instead of size and time. */
  checksum?: boolean;
  /** Extra rsync arguments (e.g. `--dry-run`). */
  extraArgs?: string[];
  log?: (line: string) => void;
  /** The local rsync binary (default `rsync` on PATH). */
  rsyncBinary?: string;
}

/** What a shipment transferred, from rsync's `--stats` and the bridge's own counters. */
export interface ShipResult {
  bytesSent: number;
  bytesReceived: number;
  filesTransferred: number;
  /** Bytes relayed through the SSH channel (both directions). */
  channelBytes: number;
  durationMs: number;
  /** The remote command rsync ran (for debug output). */
  remoteCommand: string;
}

/** Quotes one word for a POSIX shell (and for rsync's `-e` splitting). */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Quotes a remote path for the remote shell, keeping a leading `~/` expandable. */
function remotePathWord(path: string): string {
  return path.startsWith("~/") ? `~/${shellQuote(path.slice(2))}` : shellQuote(path);
}

/**
 * The bridge command when running from source: this Bun binary running
 * rsh-bridge.ts. In the compiled executable (sources in Bun's `/$bunfs`), the
 * executable with the hidden `__rsh-bridge` sub-command.
 */
export function defaultBridgeCommand(): string[] {
  if (isCompiled()) return [process.execPath, "__rsh-bridge"];
  // Running as a release bundle (the launcher imported the cached batou.js).
  const release = runningRelease();
  if (release) return [process.execPath, join(release.dir, "batou.js"), "__rsh-bridge"];
  return [process.execPath, join(import.meta.dir, "rsh-bridge.ts")];
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

/** Ships the contents of `localDir` into `remoteDir` on the connection's host. */
export async function shipDirectory(conn: ChannelOpener, localDir: string, remoteDir: string, options: ShipOptions = {}): Promise<ShipResult> {
  const host = conn.alias;
  if (!existsSync(localDir) || !statSync(localDir).isDirectory()) {
    throw new SshError(host, "config", `cannot ship ${localDir}: not a directory`);
  }
  const started = performance.now();
  const log = options.log ?? (() => {});
  const sudo = options.sudoUser ? `sudo -n -u ${shellQuote(options.sudoUser)} ` : "";
  const rsyncPath = options.rsyncPath ?? `${sudo}rsync`;
  const dest = remoteDir.endsWith("/") ? remoteDir : `${remoteDir}/`;
  const wrap = options.createRemoteDir === false ? undefined
    : (command: string) => `${sudo}mkdir -p -- ${remotePathWord(dest)} && exec ${command}`;
  const server = await serveRshBridge(conn, {
    allow: (command) => command.startsWith(`${rsyncPath} --server `),
    wrap,
    log,
  });
  try {
    const rsh = [...(options.bridgeCommand ?? defaultBridgeCommand()), server.socketPath].map(shellQuote).join(" ");
    const args = [
      options.rsyncBinary ?? "rsync", "--recursive", "--links", "--perms", "--times", "--delete", "--stats",
      ...(options.compress ? ["--compress"] : []),
      ...(options.exactTimes === false ? [] : ["--modify-window=-1"]),
      ...(options.checksum ? ["--checksum"] : []),
      ...(options.excludes ?? DEFAULT_EXCLUDES).map((e) => `--exclude=${e}`),
      `--rsh=${rsh}`, `--rsync-path=${rsyncPath}`,
      ...(options.extraArgs ?? []),
      localDir.endsWith("/") ? localDir : `${localDir}/`,
      `batou-remote:${dest}`,
    ];
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
    const result: ShipResult = {
      ...stats,
      channelBytes: server.bytesToRemote + server.bytesFromRemote,
      durationMs: performance.now() - started,
      remoteCommand: server.commands[0] ?? "",
    };
    log(`rsync: ${result.filesTransferred} file(s), sent ${result.bytesSent} B, received ${result.bytesReceived} B in ${result.durationMs.toFixed(0)} ms`);
    return result;
  } finally {
    await server.close();
  }
}
