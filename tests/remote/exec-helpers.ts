/**
 * The test bed's hosts as `connect_method = "exec"` targets: each host is its
 * own mount, UTS and network namespace (tests/testbed/testhosts enters one with
 * `nsenter --target SSHD_PID --mount --uts --net`), so `nsenter` into those
 * namespaces is a real container-like exec. `{host}` must pick the host, so a
 * private folder holds `hostK -> /proc/SSHD_PID/ns` links and the argv names
 * `FOLDER/{host}/mnt` and so on. Inside, the command runs as the login user
 * with a clean environment (`env -i` and `runuser`, as a container's exec
 * would: no variable of the test process leaks in).
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Testbed } from "../testbed/testbed.ts";

export interface ExecTestbed {
  /** The `exec` argv for the environment file. */
  argv: string[];
  /** `connect_method = "exec"` and `exec = [...]` as environment file lines. */
  toml: string;
  cleanup(): void;
}

const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The exec command into the test bed's hosts as `user` (default: the login user); `inner` goes before `env -i` (e.g. an `unshare` that hides rsync). */
export function execTestbed(tb: Testbed, options: { user?: string; inner?: string[] } = {}): ExecTestbed {
  const dir = mkdtempSync(join(tmpdir(), "batou-exec-ns-"));
  for (const host of tb.hosts) {
    const pid = readFileSync(join(tb.roots[host]!, "run/sshd.pid"), "utf8").trim();
    symlinkSync(`/proc/${pid}/ns`, join(dir, host));
  }
  const argv = [
    "nsenter", `--mount=${dir}/{host}/mnt`, `--uts=${dir}/{host}/uts`, `--net=${dir}/{host}/net`, "--",
    ...(options.inner ?? []),
    "env", "-i", `PATH=${PATH}`, "runuser", "-u", options.user ?? tb.user, "--",
  ];
  return {
    argv,
    toml: `connect_method = "exec"\nexec = ${JSON.stringify(argv)}\n`,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** An `inner` for {@link execTestbed}: every command runs in a mount namespace of its own where rsync is not there (so batou streams). */
export const WITHOUT_RSYNC = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", 'mount --bind /dev/null /usr/bin/rsync && exec "$@"', "without-rsync"];
