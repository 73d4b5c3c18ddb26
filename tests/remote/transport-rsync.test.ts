/**
 * Shipping a directory with the system rsync through the host's one SSH
 * connection (ssh2: the rsh bridge; OpenSSH: a client of the master), and
 * streaming a file, against the test bed's real sshd and rsync, once per
 * SSH client.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fingerprintSha256 } from "../../lib/remote/ssh/known-hosts.ts";
import { projectManifest } from "../../lib/remote/ship/project-manifest.ts";
import { DEFAULT_EXCLUDES, EXIT_TARGET_UNUSABLE, streamReceiver } from "../../lib/remote/commands.ts";
import { shipDirectory } from "../../lib/remote/ship/rsync.ts";
import { bridgeCommand, serveRshBridge } from "../../lib/remote/ship/rsh-server.ts";
import { SshConnection } from "../../lib/remote/ssh/connection.ts";
import { OpenSshTransport } from "../../lib/remote/openssh/transport.ts";
import type { Transport } from "../../lib/remote/transport.ts";
import type { SshClient } from "../../lib/engine/environment-schema.ts";
import { SSH_CLIENTS } from "./remote-helpers.ts";
import { streamFile } from "../../lib/remote/ship/stream-file.ts";
import { hostPath, runInHost, sshdLog, startTestbed, type Testbed, testbedAvailability } from "../testbed/testbed.ts";
import { waitFor } from "../helpers/wait.ts";
import { writeTree } from "../helpers/temp.ts";

const bed = testbedAvailability();

const write = writeTree;

const openWith = (client: SshClient, alias: string, configFile: string): Promise<Transport> =>
  client === "ssh2" ? SshConnection.open(alias, { configFile }) : OpenSshTransport.open(alias, { configFile, timeoutSeconds: 20 });
const handshakes = (client: SshClient) => (client === "ssh2" ? SshConnection.handshakes : OpenSshTransport.handshakes);

for (const client of SSH_CLIENTS) describe.skipIf(!bed.ok)(`rsync through the SSH connection (${client})`, () => {
  let tb: Testbed;
  let work: string;
  let conn: Transport;
  const host = "host3";

  beforeAll(async () => {
    tb = await startTestbed(3);
    work = mkdtempSync(join(tmpdir(), "batou-rsync-"));
  }, 60_000);
  afterAll(async () => {
    await conn?.close();
    rmSync(work, { recursive: true, force: true });
  });

  test("ships, delta only, deletes, excludes anchored at the top, all over one SSH connection", async () => {
    const src = join(work, "project");
    const files: Record<string, string> = {
      "environments/prod/environment.toml": "[environment]\nhost = 'x'\n",
      "environments/prod/secrets.toml.nacl": "ENCRYPTED",
      "components/app/component.ts": "export default 1;\n",
      "lib/work/kept.txt": "nested work is shipped\n",
      "src/dist/kept.txt": "nested dist is shipped\n",
      "src/node_modules/kept.txt": "nested node_modules is shipped\n",
      "big.bin": "x".repeat(200_000),
      "doomed.txt": "removed locally later\n",
      ".git/HEAD": "ref: refs/heads/main\n",
      "node_modules/dep/index.js": "no\n",
      "work/state": "no\n",
      "dist/batou": "no\n",
      "secret-key.nacl": "no\n",
    };
    for (let i = 0; i < 50; i++) files[`components/many/file${i}.txt`] = `file ${i}\n`.repeat(20);
    for (const [rel, content] of Object.entries(files)) write(src, rel, content);
    const remoteDir = `deployment/ship-test-${client}`;
    const outside = hostPath(host, `/home/${tb.user}/${remoteDir}`);
    rmSync(outside, { recursive: true, force: true });
    // the host's own work/ directory must survive --delete (excluded paths are protected)
    mkdirSync(join(outside, "work"), { recursive: true });
    writeFileSync(join(outside, "work", "remote-state"), "host state\n");
    spawnSync("chown", ["-R", "2000:2000", hostPath(host, `/home/${tb.user}/deployment`)]);

    // a key of our own, so that sshd's "Accepted publickey" lines of this connection can be
    // told apart from those of other tests using the same test bed concurrently
    const key = join(work, "id_ed25519");
    spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "rsync-test", "-f", key]);
    const pub = readFileSync(`${key}.pub`, "utf8");
    const fingerprint = fingerprintSha256(Buffer.from(pub.split(" ")[1], "base64"));
    const dotSsh = hostPath(host, `/home/${tb.user}/.ssh`);
    mkdirSync(dotSsh, { recursive: true });
    writeFileSync(join(dotSsh, "authorized_keys"), pub, { mode: 0o600 });
    spawnSync("chown", ["-R", "2000:2000", dotSsh]);
    const cfg = join(work, "ssh_config");
    writeFileSync(cfg, `Host ${host}\n    IdentityFile ${key}\n${readFileSync(tb.sshConfig, "utf8")}`);
    const accepted = async () => (await sshdLog(host)).filter((l) => l.startsWith(`Accepted publickey for ${tb.user}`) && l.endsWith(fingerprint)).length;
    const handshakesBefore = handshakes(client);
    conn = await openWith(client, host, cfg);

    const first = await shipDirectory(conn, src, remoteDir);
    expect(first.filesTransferred).toBe(57);
    expect(first.bytesSent).toBeGreaterThan(200_000);
    for (const rel of ["environments/prod/environment.toml", "components/app/component.ts", "lib/work/kept.txt", "src/dist/kept.txt", "src/node_modules/kept.txt", "big.bin", "components/many/file49.txt"]) {
      expect(readFileSync(join(outside, rel), "utf8")).toBe(files[rel]);
    }
    for (const rel of ["environments/prod/secrets.toml.nacl", "secret-key.nacl", ".git", "node_modules", "dist", "work/state"]) {
      expect(existsSync(join(outside, rel))).toBe(false);
    }
    expect(statSync(join(outside, "big.bin")).uid).toBe(2000);
    // what rsync left on the host has the project's fingerprint (the no-op deploy skips rsync on it)
    expect(projectManifest(outside, DEFAULT_EXCLUDES)).toEqual(projectManifest(src, DEFAULT_EXCLUDES));

    const noop = await shipDirectory(conn, src, remoteDir);
    expect(noop.filesTransferred).toBe(0);
    expect(noop.bytesSent).toBeLessThan(first.bytesSent / 50);
    expect(noop.bytesSent + noop.bytesReceived).toBeLessThan(4096);

    rmSync(join(src, "doomed.txt"));
    write(src, "components/app/component.ts", "export default 2;\n");
    const third = await shipDirectory(conn, src, remoteDir);
    expect(third.filesTransferred).toBe(1);
    expect(existsSync(join(outside, "doomed.txt"))).toBe(false);
    expect(readFileSync(join(outside, "components/app/component.ts"), "utf8")).toBe("export default 2;\n");
    expect(readFileSync(join(outside, "work/remote-state"), "utf8")).toBe("host state\n");
    expect(projectManifest(outside, DEFAULT_EXCLUDES).hash).toBe(projectManifest(src, DEFAULT_EXCLUDES).hash);
    // a file changed on the host (same size, other time) changes the fingerprint
    writeFileSync(join(outside, "components/app/component.ts"), "export default 3;\n");
    expect(projectManifest(outside, DEFAULT_EXCLUDES).hash).not.toBe(projectManifest(src, DEFAULT_EXCLUDES).hash);

    // one SSH connection (one handshake, one sshd login) served all three shipments
    expect(handshakes(client) - handshakesBefore).toBe(1);
    expect(await accepted()).toBe(1);
    rmSync(dotSsh, { recursive: true, force: true });
    console.log(`rsync: first ${first.bytesSent} B sent in ${first.durationMs.toFixed(0)} ms; no-op ${noop.bytesSent}+${noop.bytesReceived} B in ${noop.durationMs.toFixed(0)} ms`);
  });

  test("--rsync-path with sudo ships as another user", async () => {
    const src = join(work, "svc");
    write(src, "app.conf", "service config\n");
    const dir = `/home/${tb.serviceUser}/app-${client}`;
    const result = await shipDirectory(conn, src, dir, { sudoUser: tb.serviceUser });
    if (client === "ssh2") expect(result.remoteCommand).toStartWith(`sudo -n -H -u ${tb.serviceUser} mkdir -p -- ${dir}/ && exec sudo -n -H -u ${tb.serviceUser} rsync --server `);
    const outside = hostPath(host, `${dir}/app.conf`);
    expect(readFileSync(outside, "utf8")).toBe("service config\n");
    expect(statSync(outside).uid).toBe(2001);
  });

  test("a failing rsync names the host and both directories", async () => {
    const src = join(work, "svc");
    const error = await shipDirectory(conn, src, "/proc/forbidden").catch((e) => e);
    expect(error.message).toStartWith(`rsync of ${src} to /proc/forbidden failed (exit `);
    expect(error.context.host).toBe(host);
  });

  test.if(client === "ssh2")("the bridge runs nothing but rsync --server", async () => {
    const server = await serveRshBridge(conn, { allow: (c) => c.startsWith("rsync --server ") });
    try {
      const [bin, ...pre] = bridgeCommand();
      // async: the bridge server runs in this process
      const proc = Bun.spawn([bin, ...pre, server.socketPath, "somehost", "echo", "pwned"], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
      const [stdout, stderr, status] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
      expect(status).toBe(255);
      expect(stdout).toBe("");
      expect(stderr).toContain(`${host}: refusing to run "echo pwned" through the rsync bridge`);
      expect(server.commands).toEqual([]);
    } finally {
      await server.close();
    }
    expect(existsSync(server.socketPath)).toBe(false);
  });

  test("a remote rsync that hangs fails at the timeout; nothing is left running", async () => {
    const src = join(work, "hang");
    write(src, "a.txt", "a\n");
    const began = performance.now();
    const error = await shipDirectory(conn, src, "deployment/hang", { rsyncPath: "sleep 47 && rsync", timeoutSeconds: 2 }).catch((e) => e);
    expect(error.message).toBe(`rsync of ${src} to deployment/hang did not finish within 2 s (timeout)`);
    expect(performance.now() - began).toBeLessThan(20_000); // the remote sleep would hold it 47 s
    expect(spawnSync("pgrep", ["-f", "__rsh-bridge|rsh-bridge.ts"]).stdout.toString()).not.toContain(String(process.pid));
    // nothing of ours runs locally; a remote command that ignores EOF (this sleep) can only be stopped by ssh2's signal:
    // with OpenSSH it gets EOF and ends by itself
    expect(spawnSync("pgrep", ["-fa", client === "ssh2" ? "rsync .*deployment/hang" : "^(rsync|ssh) .*deployment/hang"]).stdout.toString()).toBe("");
  });

  test("a connection lost during rsync fails the shipment instead of hanging", async () => {
    // the test bed reaches hosts through a ProxyCommand (nc); this connection's own nc
    // (marked by an unusual idle timeout) is killed mid-transfer: the link is gone
    const marker = "-w 3541";
    const cfg = join(work, "ssh_config_lost");
    writeFileSync(cfg, readFileSync(tb.sshConfig, "utf8").replace(/ nc %h %p/g, ` nc ${marker} %h %p`));
    const lost = await openWith(client, host, cfg);
    const src = join(work, "lost");
    write(src, "a.txt", "a\n");
    const shipping = shipDirectory(lost, src, "deployment/lost", { rsyncPath: "sleep 53 && rsync", timeoutSeconds: 100 }).catch((e) => e);
    await waitFor(() => spawnSync("pgrep", ["-f", "sleep 53"]).status === 0, 10, "rsync to start on the host");
    expect(spawnSync("pkill", ["-KILL", "-f", `nc ${marker}`]).status).toBe(0);
    const began = performance.now();
    const error = await shipping;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toStartWith(`rsync of ${src} to deployment/lost `);
    expect(performance.now() - began).toBeLessThan(20_000);
    await lost.close();
  });

  test("streaming a file: in place with its sidecar; a missing directory or a stalled host is an error naming the host", async () => {
    conn ??= await openWith(client, host, tb.sshConfig);
    const file = join(work, "blob.bin");
    writeFileSync(file, Buffer.alloc(3_000_000, 7));
    const dir = `/home/${tb.user}/deployment/stream-${client}`;
    mkdirSync(hostPath(host, dir), { recursive: true });
    spawnSync("chown", ["-R", "2000:2000", hostPath(host, `/home/${tb.user}/deployment`)]);
    const sha = "ab".repeat(32);
    const sent = await streamFile(conn, file, streamReceiver(dir, "blob", 3_000_000, sha), { stallSeconds: 10 });
    expect(sent.bytesSent).toBe(3_000_000);
    const outside = hostPath(host, `${dir}/blob`);
    expect(readFileSync(outside).equals(readFileSync(file))).toBe(true);
    expect(statSync(outside).mode & 0o777).toBe(0o755);
    expect(readFileSync(`${outside}.sha256`, "utf8")).toBe(`${sha} 3000000 ${Math.floor(statSync(outside).mtimeMs / 1000)}\n`);

    // compressed on the way, unpacked by the host's zstd into the same bytes
    if (Bun.which("zstd")) {
      const packed = join(work, "blob.bin.zst");
      writeFileSync(packed, Bun.zstdCompressSync(readFileSync(file), { level: 3 }));
      writeFileSync(outside, "old");
      const small = await streamFile(conn, packed, streamReceiver(dir, "blob", 3_000_000, sha, "zstd -dcq"), { stallSeconds: 10 });
      expect(small.bytesSent).toBeLessThan(100_000);
      expect(readFileSync(outside).equals(readFileSync(file))).toBe(true);
    }

    const missing = await streamFile(conn, file, streamReceiver(`${dir}/nowhere`, "blob", 3_000_000, sha), { stallSeconds: 10 }).catch((e) => e);
    expect(missing.message).toStartWith(`sending ${file} failed (exit ${EXIT_TARGET_UNUSABLE})`);
    expect(missing.context.host).toBe(host);
    expect(missing.message).toContain("nowhere");
    // a receiver killed by a signal: the message says how it ended, never "exit ?"
    const killed = await streamFile(conn, file, "kill -KILL $$", { stallSeconds: 10 }).catch((e) => e);
    expect(killed.message).toStartWith(`sending ${file} failed (the receiver `);
    if (client === "ssh2") expect(killed.message).toStartWith(`sending ${file} failed (the receiver was killed by signal SIGKILL)`);
    expect(killed.context.host).toBe(host);
    // a host that never reads: the SSH window fills, nothing moves, the stall timeout ends it
    const stalled = await streamFile(conn, file, "sleep 41", { stallSeconds: 1 }).catch((e) => e);
    expect(stalled.message).toBe(`sending ${file} stalled for 1 s (timeout)`);
  });

  test("streaming onto a full disk: the error says so, and no part file is left", async () => {
    conn ??= await openWith(client, host, tb.sshConfig);
    // a 1 MiB file system of its own, mounted in the host's mount namespace only
    const dir = `/home/${tb.user}/deployment/full-${client}-${process.pid}`;
    expect(runInHost(host, "mkdir", "-p", dir).code).toBe(0);
    const mounted = runInHost(host, "mount", "-t", "tmpfs", "-o", "size=1m,uid=2000,gid=2000,mode=0755", "tmpfs", dir);
    expect(mounted.stderr).toBe("");
    try {
      const file = join(work, "big.bin");
      writeFileSync(file, Buffer.alloc(3_000_000, 5));
      const error = await streamFile(conn, file, streamReceiver(dir, "blob", 3_000_000, "cd".repeat(32)), { stallSeconds: 20 }).catch((e) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error.message).toStartWith(`sending ${file} failed (exit `);
      expect(error.message).toContain("No space left on device");
      expect(error.context.host).toBe(host);
      // seen from inside the host (the tmpfs is not visible from outside)
      expect(runInHost(host, "ls", "-A", dir)).toMatchObject({ code: 0, stdout: "" });
    } finally {
      runInHost(host, "umount", dir);
      runInHost(host, "rmdir", dir);
    }
  });

  test("default excludes are anchored, except encrypted secrets", () => {
    expect(DEFAULT_EXCLUDES.filter((e) => !e.startsWith("/"))).toEqual(["*.nacl"]);
  });
});
