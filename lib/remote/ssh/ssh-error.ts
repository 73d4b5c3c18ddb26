/**
 * Errors of the SSH transport layer. Each names the host alias it is about in
 * its context (`host`), so a failure in a parallel multi-host run is
 * attributable at a glance; the message says what failed, without the host.
 *
 * @module
 */
import { BatouError, type ErrorContext } from "../../engine/errors.ts";

/** What went wrong, for callers that react differently (e.g. retry only `connect`). */
export type SshErrorKind =
  | "config" // the ssh_config could not be read or has an invalid value
  | "connect" // TCP / ProxyCommand / ProxyJump could not reach the host
  | "timeout" // a deadline passed (connect or command)
  | "hostkey" // unknown, changed or revoked host key
  | "auth" // no identity was accepted
  | "channel" // exec/spawn failed on an established connection
  | "closed"; // the connection was closed (by us or the peer)

/** An SSH transport error about one host (`context.host`: the alias as given to `SshConnection.open`, or the jump host's). */
export class SshError extends BatouError {
  override name = "SshError";
  readonly kind: SshErrorKind;

  constructor(host: string, kind: SshErrorKind, message: string, options?: { cause?: unknown; context?: ErrorContext }) {
    super(message, { host, ...options?.context }, options);
    this.kind = kind;
  }

  /** The host alias this error is about. */
  get host(): string {
    return this.context.host ?? "";
  }
}

/** True when a failed connection attempt is worth retrying (refused, reset, timeout). */
export function isRetryable(error: unknown): boolean {
  return error instanceof SshError && (error.kind === "connect" || error.kind === "timeout");
}
