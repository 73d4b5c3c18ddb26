/**
 * What a failed `ssh` said, as batou's {@link SshError}: the kind (retry
 * only what may go away), a message naming what failed, and OpenSSH's own
 * stderr in the details. Pure: tested with OpenSSH's real messages.
 *
 * @module
 */
import { SshError, type SshErrorKind } from "../ssh/ssh-error.ts";

/** OpenSSH's messages, by what they mean (first match wins). */
const KINDS: [SshErrorKind, string, RegExp][] = [
  ["hostkey", "the host key was refused", /host key verification failed|remote host identification has changed|host key for .* has changed|no \S+ host key is known|host key .* (is|has been) revoked|certificate .* (invalid|not valid)/i],
  ["auth", "authentication failed", /permission denied|too many authentication failures|no more authentication methods|authentication failed|sign_and_send_pubkey|agent refused operation/i],
  ["config", "the ssh configuration is invalid", /bad configuration option|unsupported option|configuration file|terminating, \d+ bad configuration|line \d+: |bad owner or permissions|keyword \w+ extra arguments|no such identity/i],
  ["connect", "the host cannot be reached", /connection refused|connection timed out|operation timed out|no route to host|network is unreachable|could not resolve hostname|name or service not known|temporary failure in name resolution|kex_exchange_identification|connection closed by|connection reset|banner exchange|broken pipe|proxy.*(failed|exited)|stdio forwarding failed/i],
];

/** The lines OpenSSH wrote, without carriage returns, warnings about known_hosts additions and empty lines. */
export function stderrLines(stderr: string): string[] {
  return stderr
    .replace(/\r/g, "")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !/^Warning: Permanently added /.test(line));
}

/**
 * The error for an `ssh` that ended with `status` (255: OpenSSH's own
 * failure) while `what` (e.g. "connecting with OpenSSH") on `host`.
 */
export function opensshError(host: string, what: string, stderr: string, status: number | null): SshError {
  const lines = stderrLines(stderr);
  const text = lines.join("\n");
  const found = KINDS.find(([, , pattern]) => pattern.test(text));
  // Refused logins, host keys and configs are always reported, even at LogLevel ERROR; a connection
  // that closed (a ProxyCommand that found nobody) may be reported at a lower level only: retryable.
  const [kind, meaning] = found ?? (text ? (["channel", `ssh exited with status ${status ?? "?"}`] as const) : (["connect", "the connection ended before SSH started"] as const));
  // the line that says what happened (OpenSSH frames some in @ signs), and the last one when it adds to it
  const telling = found ? lines.find((line) => found[2].test(line))!.replace(/^@+\s*|\s*@+$/g, "") : undefined;
  const last = lines.at(-1)?.replace(/^@+\s*|\s*@+$/g, "");
  const said = [...new Set([telling, last].filter(Boolean))].join("; ") || "it said nothing";
  return new SshError(host, kind, `OpenSSH, ${what}: ${meaning} (${said})`, {
    context: { "OpenSSH said": text || undefined, "ssh exit status": status ?? undefined },
  });
}
