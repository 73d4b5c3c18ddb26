/**
 * The exec transport (`connect_method = "exec"`) against the test bed's hosts,
 * entered with `nsenter` (exec-helpers.ts): commands in the host's own
 * namespaces, signals, close, shipping with rsync through the rsh bridge and
 * as a tar stream into a host without rsync, and the errors of a command that
 * is missing, cannot enter the host, or never answers.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_EXCLUDES } from "../../lib/remote/commands.ts";
import { ExecTransport } from "../../lib/remote/exec/transport.ts";
import { projectManifest } from "../../lib/remote/ship/project-manifest.ts";
import { shipDirectory } from "../../lib/remote/ship/rsync.ts";
import { streamChunks } from "../../lib/remote/ship/stream-file.ts";
import { hostPath, startTestbed, type Testbed, testbedAvailability } from "../testbed/testbed.ts";
import { type ExecTestbed, execTestbed, WITHOUT_RSYNC } from "./exec-helpers.ts";
import { pgrep, runCommand, waitFor } from "./remote-helpers.ts";
import { writeTree } from "../helpers/temp.ts";

const bed = testbedAvailability();

const write = writeTree;

describe.skipIf(!bed.ok)("exec transport into the test bed's hosts", () => {
  let tb: Testbed;
  let exec: ExecTestbed;
  let bare: ExecTestbed;
  let work: string;
  const open = (host: string, argv = exec.argv, timeoutSeconds = 20) => ExecTransport.open(host, argv, { timeoutSeconds });

  beforeAll(async () => {
    tb = await startTestbed(3);
    exec = execTestbed(tb);
    bare = execTestbed(tb, { inner: WITHOUT_RSYNC });
    work = mkdtempSync(join(tmpdir(), "batou-exec-"));
  }, 60_000);
  afterAll(() => {
    exec.cleanup();
    bare.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  test("a command runs inside the host (its hostname, users and files) with stdin, stdout, stderr and exit code", async () => {
    const transport = await open("host2");
    try {
      expect(transport.user).toBe(tb.user);
      expect(transport.remoteRsync).toBe(true);
      expect(transport.description).toEndWith(`as ${tb.user}`);
      const r = await runCommand(transport, `echo "$(hostname) $(id -un) $HOME"; tr a-z A-Z; echo oops >&2; echo inside > ~/exec-probe-${process.pid}; exit 3`, "hello\n");
      expect(r).toEqual({ code: 3, signal: null, stdout: `host2 ${tb.user} /home/${tb.user}\nHELLO\n`, stderr: "oops\n" });
      const file = hostPath("host2", `/home/${tb.user}/exec-probe-${process.pid}`);
      expect(readFileSync(file, "utf8")).toBe("inside\n");
      expect(statSync(file).uid).toBe(2000);
      rmSync(file);
      // quoting survives: the command is one argv word, never read by a local shell
      expect((await runCommand(transport, `printf '%s|' "a b" '$HOME' "it's"`)).stdout).toBe(`a b|$HOME|it's|`);
    } finally {
      await transport.close();
    }
  });

  test("a signalled command is stopped; close() stops whatever still runs", async () => {
    const transport = await open("host1");
    const marker = `${(Math.random() * 1000 + 100).toFixed(3)}`;
    const remote = await transport.spawn(`sleep ${marker}`);
    remote.stdio.resume();
    await waitFor(() => pgrep(`^sleep ${marker}$`).length === 1, 5, "the sleep");
    // a process group of its own: a Ctrl-C at the terminal reaches batou, not the command
    const pgid = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[2]);
    expect(pgid(pgrep(`^sleep ${marker}$`)[0]!)).not.toBe(pgid(process.pid));
    remote.signal("TERM");
    expect((await remote.exit).code).not.toBe(0);
    await waitFor(() => pgrep(`^sleep ${marker}$`).length === 0, 5, "the sleep to end");

    const tag = `batou-exec-${process.pid}-${Date.now()}`;
    // (the command goes to `sh`, not to a login shell: no bash `exec -a` to tag them)
    const sleeper = await transport.spawn(`sh -c 'sleep 1000; true' ${tag}-sleep`);
    const reader = await transport.spawn(`sh -c 'cat; true' ${tag}-cat`);
    reader.stdio.write("ping\n");
    expect(await new Promise<string>((resolve) => reader.stdio.once("data", (d: Buffer) => resolve(d.toString())))).toBe("ping\n");
    await waitFor(() => pgrep(`${tag}-sleep`).length > 0 && pgrep(`${tag}-cat`).length > 0, 5, "both commands");
    await transport.close();
    await waitFor(() => pgrep(tag).length === 0, 5, "close() to stop both");
    await sleeper.exit;
    const closed = await transport.spawn("true").catch((e) => e);
    expect(closed.message).toStartWith("connection already closed");
    expect(closed.context.host).toBe("host1");
  }, 30_000);

  test.each([["with rsync (through the rsh bridge)", false], ["without rsync on the host (a tar stream)", true]])("shipping a tree %s: delete, kept excludes, the fingerprint, as the service user", async (_, withoutRsync) => {
    const transport = await open("host3", withoutRsync ? bare.argv : exec.argv);
    try {
      expect(transport.remoteRsync).toBe(!withoutRsync);
      const src = join(work, `project-${withoutRsync}`);
      const files: Record<string, string> = {
        "environments/prod.toml": "[environment]\n",
        "secrets.toml.nacl": "ENCRYPTED",
        "components/app/component.ts": "export default 1;\n",
        "lib/work/kept.txt": "nested work is shipped\n",
        ".hidden": "dot file\n",
        "..odd": "two dots\n",
        "-dash.txt": "a name like an option\n",
        "doomed/inner.txt": "removed locally later\n",
        "work/state": "local work: never shipped\n",
      };
      for (const [rel, content] of Object.entries(files)) write(src, rel, content);
      spawnSync("chmod", ["750", join(src, "components")]);
      const remoteDir = `/home/${tb.user}/deployment/ship-exec-${withoutRsync}`;
      const outside = hostPath("host3", remoteDir);
      rmSync(outside, { recursive: true, force: true });
      // the host's own work/ and encrypted files survive the shipment, as with rsync's --delete
      write(outside, "work/remote-state", "host state\n");
      write(outside, "left.nacl", "host's own\n");
      spawnSync("chown", ["-R", "2000:2000", hostPath("host3", `/home/${tb.user}/deployment`)]);

      const first = await shipDirectory(transport, src, remoteDir, { timeoutSeconds: 20 });
      expect(first.filesTransferred).toBe(7);
      for (const rel of ["environments/prod.toml", "components/app/component.ts", "lib/work/kept.txt", ".hidden", "..odd", "-dash.txt", "doomed/inner.txt"]) {
        expect(readFileSync(join(outside, rel), "utf8")).toBe(files[rel]);
      }
      expect(existsSync(join(outside, "secrets.toml.nacl"))).toBe(false);
      expect(readFileSync(join(outside, "work/remote-state"), "utf8")).toBe("host state\n");
      expect(existsSync(join(outside, "work/state"))).toBe(false);
      expect(readFileSync(join(outside, "left.nacl"), "utf8")).toBe("host's own\n");
      expect(statSync(join(outside, "components")).mode & 0o777).toBe(0o750);
      expect(statSync(join(outside, "components/app/component.ts")).uid).toBe(2000);
      expect(projectManifest(outside, DEFAULT_EXCLUDES)).toEqual(projectManifest(src, DEFAULT_EXCLUDES));

      rmSync(join(src, "doomed"), { recursive: true });
      write(src, "components/app/component.ts", "export default 2;\n");
      await shipDirectory(transport, src, remoteDir, { timeoutSeconds: 20 });
      expect(existsSync(join(outside, "doomed"))).toBe(false);
      expect(readFileSync(join(outside, "components/app/component.ts"), "utf8")).toBe("export default 2;\n");
      expect(readFileSync(join(outside, "work/remote-state"), "utf8")).toBe("host state\n");
      expect(projectManifest(outside, DEFAULT_EXCLUDES).hash).toBe(projectManifest(src, DEFAULT_EXCLUDES).hash);
      expect(existsSync(outside) && spawnSync("sh", ["-c", `ls -A ${outside} | grep -c incoming`]).stdout.toString().trim()).toBe("0");

      // as the service user through sudo
      const svcDir = `/home/${tb.serviceUser}/ship-exec-${withoutRsync}`;
      rmSync(hostPath("host3", svcDir), { recursive: true, force: true });
      await shipDirectory(transport, src, svcDir, { sudoUser: tb.serviceUser, timeoutSeconds: 20 });
      expect(statSync(hostPath("host3", `${svcDir}/components/app/component.ts`)).uid).toBe(2001);
    } finally {
      await transport.close();
    }
  }, 60_000);

  test("a source that fails mid-stream stops the receiver instead of ending its input", async () => {
    const transport = await open("host3");
    try {
      const dir = `/home/${tb.user}/stream-fail-${process.pid}`;
      async function* failing() {
        yield new TextEncoder().encode("part of it\n");
        await Bun.sleep(200);
        throw new Error("tar of x failed (exit 2)");
      }
      // the receiver marks a complete input: on EOF it would
      const receiver = `mkdir -p ${dir} && cd ${dir} && cat > part && touch complete`;
      const failed = await streamChunks(transport, failing(), "x", receiver, { stallSeconds: 10 }).catch((e) => e);
      expect(failed.message).toBe("tar of x failed (exit 2)");
      const part = hostPath("host3", `${dir}/part`);
      await waitFor(() => existsSync(part) && readFileSync(part, "utf8") === "part of it\n", 10, "the first chunk on the host");
      await waitFor(() => pgrep(`cd ${dir} && cat > part`).length === 0, 10, "the receiver to stop");
      expect(existsSync(hostPath("host3", `${dir}/complete`))).toBe(false);
      rmSync(hostPath("host3", dir), { recursive: true, force: true });
    } finally {
      await transport.close();
    }
  });

  test("a missing exec program, a host it cannot enter, a command that never answers, a name that could be an option", async () => {
    const missing = await open("host1", ["no-such-exec-tool", "{host}"]).catch((e) => e);
    expect(missing.message).toBe("cannot run the exec command for host host1: no-such-exec-tool is not installed here (not found on PATH)");
    expect(missing.context["exec command"]).toBe("no-such-exec-tool host1");

    const nowhere = await open("host999").catch((e) => e);
    expect(nowhere.message).toStartWith("cannot enter host host999 with its exec command: it exited with status 1: nsenter: ");
    expect(nowhere.message).toContain("host999/mnt");

    const began = performance.now();
    const silent = await open("host1", ["sh", "-c", 'sleep 30 # "$0"', "{host}"], 1).catch((e) => e);
    expect(silent.message).toBe("the exec command did not answer within 1 s (timeout)");
    expect(silent.kind).toBe("timeout"); // retried like an SSH connect that timed out
    expect(performance.now() - began).toBeLessThan(5000);
    expect(pgrep('sleep 30 # "\\$0"').length).toBe(0);

    const option = await open("--privileged").catch((e) => e);
    expect(option.message).toBe('host name "--privileged" cannot be used with connect_method = "exec"');
  });
});
