/**
 * Errors of the SSH transport layer. Every message names the host alias it is
 * about, so a failure in a parallel multi-host run is attributable at a glance.
 *
 * @module
 */

/** What went wrong, for callers that react differently (e.g. retry only `connect`). */
export type SshErrorKind =
  | "config" // the ssh_config could not be read or has an invalid value
  | "connect" // TCP / ProxyCommand / ProxyJump could not reach the host
  | "timeout" // a deadline passed (connect or command)
  | "hostkey" // unknown, changed or revoked host key
  | "auth" // no identity was accepted
  | "channel" // exec/spawn failed on an established connection
  | "closed"; // the connection was closed (by us or the peer)

/** An SSH transport error about one host. `message` always starts with the host alias. */
export class SshError extends Error {
  override name = "SshError";
  /** The host alias as given to `SshConnection.open` (or the jump host's alias). */
  readonly host: string;
  readonly kind: SshErrorKind;

  constructor(host: string, kind: SshErrorKind, message: string, options?: { cause?: unknown }) {
    super(`${host}: ${message}`, options);
    this.host = host;
    this.kind = kind;
  }
}

/** True when a failed connection attempt is worth retrying (refused, reset, timeout). */
export function isRetryable(error: unknown): boolean {
  return error instanceof SshError && (error.kind === "connect" || error.kind === "timeout");
}
