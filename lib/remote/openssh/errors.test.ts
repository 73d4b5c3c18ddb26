/** OpenSSH's own messages (as OpenSSH 9.2 prints them) become batou's errors: the kind decides retries, the message says what happened. */
import { expect, test } from "bun:test";
import { opensshError } from "./errors.ts";

const CHANGED = [
  "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
  "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @",
  "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
  "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!",
  "Offending ED25519 key in /home/me/.ssh/known_hosts:1",
  "Host key for web1 has changed and you have requested strict checking.",
  "Host key verification failed.",
].join("\r\n");

test.each([
  ["a changed host key", CHANGED, "hostkey", "OpenSSH, connecting: the host key was refused (WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!; Host key verification failed.)"],
  [
    "an unknown host key",
    "No ED25519 host key is known for web1 and you have requested strict checking.\r\nHost key verification failed.\r\n",
    "hostkey",
    "OpenSSH, connecting: the host key was refused (No ED25519 host key is known for web1 and you have requested strict checking.; Host key verification failed.)",
  ],
  ["a refused login", "deploy@10.0.0.1: Permission denied (publickey).\r\n", "auth", "OpenSSH, connecting: authentication failed (deploy@10.0.0.1: Permission denied (publickey).)"],
  ["a refused connection", "ssh: connect to host 10.0.0.1 port 22: Connection refused\r\n", "connect", "OpenSSH, connecting: the host cannot be reached (ssh: connect to host 10.0.0.1 port 22: Connection refused)"],
  [
    "a ProxyCommand that found nobody",
    "nc: connect to 10.0.0.1 port 9 (tcp) failed: Connection refused\nkex_exchange_identification: Connection closed by remote host\r\nConnection closed by UNKNOWN port 65535\r\n",
    "connect",
    "OpenSSH, connecting: the host cannot be reached (nc: connect to 10.0.0.1 port 9 (tcp) failed: Connection refused; Connection closed by UNKNOWN port 65535)",
  ],
  ["an unknown name", "ssh: Could not resolve hostname web9: Name or service not known\r\n", "connect", "OpenSSH, connecting: the host cannot be reached (ssh: Could not resolve hostname web9: Name or service not known)"],
  [
    "a bad config",
    "/p/ssh_config: line 3: Bad configuration option: identityfil\r\n/p/ssh_config: terminating, 1 bad configuration options\r\n",
    "config",
    "OpenSSH, connecting: the ssh configuration is invalid (/p/ssh_config: line 3: Bad configuration option: identityfil; /p/ssh_config: terminating, 1 bad configuration options)",
  ],
  ["nothing said (a connection that closed, at LogLevel ERROR)", "", "connect", "OpenSSH, connecting: the connection ended before SSH started (it said nothing)"],
  ["something else", "Cannot fork into background without a command to execute.\r\n", "channel", "OpenSSH, connecting: ssh exited with status 255 (Cannot fork into background without a command to execute.)"],
])("%s", (_, stderr, kind, message) => {
  const error = opensshError("web1", "connecting", stderr, 255);
  expect(error.kind).toBe(kind as typeof error.kind);
  expect(error.message).toBe(message);
  expect(error.context.host).toBe("web1");
  expect(error.context["ssh exit status"]).toBe(255);
  if (stderr) expect(String(error.context["OpenSSH said"])).toContain(stderr.replace(/\r/g, "").trim().split("\n").at(-1)!.trim());
});

test("a known_hosts note of an accepted new key is not what failed", () => {
  const error = opensshError("web1", "connecting", "Warning: Permanently added 'web1' (ED25519) to the list of known hosts.\r\ndeploy@web1: Permission denied (publickey).\r\n", 255);
  expect(error.message).toBe("OpenSSH, connecting: authentication failed (deploy@web1: Permission denied (publickey).)");
});
