/**
 * Opens the transport to one host. Today that is always an ssh2 connection
 * (ssh/connection.ts); the place where another transport (an OpenSSH
 * ControlMaster, a container's `exec -i`) is chosen per host.
 *
 * @module
 */
import { SshConnection } from "./ssh/connection.ts";
import type { Transport } from "./transport.ts";

/** What opening a transport needs besides the host alias. */
export interface TransportOptions {
  /** The project root (its `ssh_config` is used when present). */
  projectRoot: string;
  /** Deadline for the whole open, in seconds. */
  timeoutSeconds: number;
  /** --debug lines. */
  log: (line: string) => void;
  /** Lines the user must see (accepted unknown host keys). */
  warn: (line: string) => void;
}

/** Connects to `alias` (an ssh_config alias: the host's FQDN). */
export function openTransport(alias: string, options: TransportOptions): Promise<Transport> {
  return SshConnection.open(alias, options);
}
