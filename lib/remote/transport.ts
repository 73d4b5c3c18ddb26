/**
 * What a HostConnection needs from the link to a host: start a command there,
 * give rsync a remote shell that reaches the host, and close. Implemented by
 * the ssh2 connection (ssh/connection.ts), the OpenSSH ControlMaster
 * (openssh/transport.ts) and the exec transport (exec/transport.ts);
 * everything above it (agent, rsync, streaming) speaks over commands.
 *
 * @module
 */
import type { Duplex, Readable } from "node:stream";

/** How a command ended; both null when it ended without reporting (link lost, unless `unknown` says why). */
export interface ExitStatus {
  code: number | null;
  /** The signal that killed it, without `SIG` (e.g. `KILL`). */
  signal: string | null;
  /** Why neither is known while the link is fine (e.g. OpenSSH does not pass on exit signals). */
  unknown?: string;
}

/** A command running on the host. It must exit when its stdin ends. */
export interface RemoteProcess {
  /** The command's stdin (writable side) and stdout (readable side); what is written before the command runs reaches it, in order. */
  readonly stdio: Duplex;
  readonly stderr: Readable;
  /** Resolves once the command has ended and its channel closed (its stdout must be read for that). */
  readonly exit: Promise<ExitStatus>;
  /** Asks the host to signal the command (best effort: nothing happens when the link is gone). */
  signal(name: "TERM" | "KILL"): void;
  /** Drops the channel: the command sees EOF and EPIPE. */
  close(): void;
}

/** A remote shell for rsync (`--rsh`) that reaches the host over this transport. */
export interface RsyncShell {
  /** The `--rsh` command as argv (rsync appends a host name and the remote command). */
  readonly argv: string[];
  /** Commands rsync ran through it (for --debug). */
  readonly commands: readonly string[];
  /** Stops it and removes whatever it created locally (sockets, folders). */
  close(): Promise<void>;
}

/** The link to one host for one run. */
export interface Transport {
  /** The host as batou names it (the ssh_config alias). */
  readonly host: string;
  /** The user batou logged in as: a service user that differs is reached through sudo. */
  readonly user: string;
  /** One line for messages and --debug, e.g. `deploy@10.0.0.1, curve25519-sha256`. */
  readonly description: string;
  /** False when the host has no rsync: directories then travel as tar streams (ship/stream-tree.ts). Unknown: rsync. */
  readonly remoteRsync?: boolean;
  /** Starts `command` (shell text for the login shell). */
  spawn(command: string): Promise<RemoteProcess>;
  /** A remote shell for rsync that runs only commands `allow` accepts. */
  rsyncShell(allow: (command: string) => boolean, log?: (line: string) => void): Promise<RsyncShell>;
  /** Why the link is gone, once it is and the client knows (ssh2: its error, or "connection closed"). */
  readonly lostReason?: string | null;
  /** Ends every command and the link; removes local leftovers. Idempotent. */
  close(): Promise<void>;
}

/**
 * How a command's end reads after "the batou agent on HOST …" or "the receiver …": its status,
 * its signal, or a lost link (with `lost`, the transport's reason, when it knows one).
 */
export function endReason(status: ExitStatus, lost?: string | null): string {
  if (status.signal !== null) return `was killed by signal ${status.signal.replace(/^(SIG)?/, "SIG")}`;
  if (status.code !== null) return `exited with status ${status.code}`;
  if (status.unknown) return `ended without an exit status (${status.unknown})`;
  return lost ? `lost its connection (${lost})` : "lost its connection";
}
