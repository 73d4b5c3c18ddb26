/**
 * The transports against real sshds of the test bed (tests/testbed): what
 * every transport must do (exec, one handshake, close leaving nothing
 * behind, unreachable and hanging hosts, refused host keys), once per SSH
 * client; then what the ssh2 client does itself (timeouts, host key policy,
 * ProxyCommand, ProxyJump, direct TCP, ssh-agent and passphrase keys,
 * retries).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SshError } from "../../lib/remote/ssh/ssh-error.ts";
import { fingerprintSha256 } from "../../lib/remote/ssh/known-hosts.ts";
import { connectWithRetry } from "../../lib/remote/ssh/retry.ts";
import { SshConnection } from "../../lib/remote/ssh/connection.ts";
import { OpenSshTransport } from "../../lib/remote/openssh/transport.ts";
import type { Transport } from "../../lib/remote/transport.ts";
import type { SshClient } from "../../lib/engine/environment-schema.ts";
import { startTestbed, type Testbed, TESTHOSTS, TESTBED_DIR, testbedAvailability } from "../testbed/testbed.ts";
import { runCommand, SSH_CLIENTS } from "./remote-helpers.ts";
import { waitUntil } from "../helpers/wait.ts";

const bed = testbedAvailability();

/** Fingerprint of a test host's real host key. */
function hostFingerprint(tb: Testbed, host: string): string {
  const pub = readFileSync(join(tb.roots[host], "etc/ssh/ssh_host_ed25519_key.pub"), "utf8");
  return fingerprintSha256(Buffer.from(pub.split(" ")[1], "base64"));
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

/** This process's child processes (ProxyCommands, ssh masters and clients), from /proc. */
function children(): number[] {
  return readdirSync("/proc").filter((e) => /^\d+$/.test(e)).map(Number).filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === process.pid;
    } catch {
      return false;
    }
  });
}

function pgrep(pattern: string): number[] {
  const r = spawnSync("pgrep", ["-f", pattern], { encoding: "utf8" });
  return r.stdout.split("\n").filter(Boolean).map(Number);
}

const eventually = (check: () => boolean) => waitUntil(check, 3);

describe.skipIf(!bed.ok)("SSH transport over the test bed", () => {
  let tb: Testbed;
  let work: string;
  /** Writes an ssh_config made of `before` followed by the test bed's config. */
  const derived = (name: string, before: string) => {
    const file = join(work, name);
    writeFileSync(file, `${before}\n${readFileSync(tb.sshConfig, "utf8")}`);
    return file;
  };
  /** The test bed's route to hostK (HostName/Port/ProxyCommand lines), for configs written from scratch. */
  const route = (host: string) => {
    const [addr, port] = tb.addrs[host].split(":");
    const proxy = tb.mode === "netns" ? `    ProxyCommand nsenter --net=/run/netns/${tb.clientNetns} nc %h %p\n` : "";
    return `    HostName ${addr}\n    Port ${port}\n    HostKeyAlias ${host}\n${proxy}`;
  };

  beforeAll(async () => {
    tb = await startTestbed(3);
    work = mkdtempSync(join(tmpdir(), "batou-transport-"));
  }, 60_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test("ssh2 says what it negotiated and checked the host's real key", async () => {
    const lines: string[] = [];
    const conn = await SshConnection.open("host1", { configFile: tb.sshConfig, log: (l) => lines.push(l) });
    try {
      expect(conn.negotiated.hostKeyFingerprint).toBe(hostFingerprint(tb, "host1"));
      expect(lines.some((l) => /negotiated kex \S+, host key ssh-ed25519, cipher \S+/.test(l))).toBe(true);
      expect(lines.some((l) => l.includes("ProxyCommand") || tb.mode === "loopback")).toBe(true);
    } finally {
      await conn.close();
    }
  });

  test("a signalled command is stopped on the host; the connection stays usable", async () => {
    const conn = await SshConnection.open("host1", { configFile: tb.sshConfig });
    const marker = `${(Math.random() * 1000 + 100).toFixed(3)}`;
    try {
      const remote = await conn.spawn(`sleep ${marker}`);
      remote.stdio.resume(); // unread output never ends, and the exit waits for it
      expect(await eventually(() => pgrep(`^sleep ${marker}$`).length === 1)).toBe(true);
      remote.signal("TERM");
      expect(await remote.exit).toEqual({ code: null, signal: "TERM" });
      expect(await eventually(() => pgrep(`^sleep ${marker}$`).length === 0)).toBe(true);
      expect((await runCommand(conn, "echo still")).stdout).toBe("still\n");
    } finally {
      await conn.close();
    }
  });

  test("an unknown host key is refused, naming host, fingerprint and known_hosts file", async () => {
    const empty = join(work, "known_hosts_empty");
    writeFileSync(empty, "");
    const cfg = derived("unknown_config", `Host host1\n    UserKnownHostsFile ${empty}\n`);
    const error = await SshConnection.open("host1", { configFile: cfg }).catch((e) => e);
    expect(error).toBeInstanceOf(SshError);
    expect(error.kind).toBe("hostkey");
    expect(error.message).toStartWith("host key is not known");
    expect(error.context.host).toBe("host1");
    expect(error.message).toContain(hostFingerprint(tb, "host1"));
    expect(error.message).toContain(empty);
  });

  test("a changed host key is refused even with StrictHostKeyChecking no", async () => {
    const pub2 = readFileSync(join(tb.roots.host2, "etc/ssh/ssh_host_ed25519_key.pub"), "utf8").split(" ").slice(0, 2).join(" ");
    const wrong = join(work, "known_hosts_wrong");
    writeFileSync(wrong, `# host1 with host2's key\nhost1 ${pub2}\n`);
    const cfg = derived("changed_config", `Host host1\n    UserKnownHostsFile ${wrong}\n    StrictHostKeyChecking no\n`);
    const error = await SshConnection.open("host1", { configFile: cfg }).catch((e) => e);
    expect(error.kind).toBe("hostkey");
    expect(error.message).toStartWith("HOST KEY HAS CHANGED for 'host1'");
    expect(error.message).toContain(hostFingerprint(tb, "host1"));
    expect(error.message).toContain(`${wrong}:2`);
  });

  test("StrictHostKeyChecking no accepts an unknown key only with a warning", async () => {
    const empty = join(work, "known_hosts_empty2");
    writeFileSync(empty, "");
    const cfg = derived("nocheck_config", `Host host3\n    UserKnownHostsFile ${empty}\n    StrictHostKeyChecking no\n`);
    const warnings: string[] = [];
    const conn = await SshConnection.open("host3", { configFile: cfg, warn: (l) => warnings.push(l) });
    await conn.close();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toStartWith("WARNING: accepting unknown ssh-ed25519 key");
    expect(warnings[0]).toContain(hostFingerprint(tb, "host3"));
  });

  test("hashed known_hosts entries are accepted", async () => {
    const hashed = join(work, "known_hosts_hashed");
    copyFileSync(tb.knownHosts, hashed);
    expect(spawnSync("ssh-keygen", ["-H", "-f", hashed]).status).toBe(0);
    expect(readFileSync(hashed, "utf8")).not.toContain("host2");
    const cfg = derived("hashed_config", `Host host2\n    UserKnownHostsFile ${hashed}\n`);
    const conn = await SshConnection.open("host2", { configFile: cfg });
    expect((await runCommand(conn, "hostname")).stdout).toBe("host2\n");
    await conn.close();
  });

  test("ProxyJump: host1 reaches host2 by name; a two-hop chain reaches host3", async () => {
    const target = (host: string) => tb.mode === "netns"
      ? `    HostName ${host}\n` // resolved by the jump host's /etc/hosts
      : `    HostName 127.0.0.1\n    Port ${tb.addrs[host].split(":")[1]}\n    HostKeyAlias ${host}\n`;
    const cfg = derived("jump_config", `Host jumped\n${target("host2")}    ProxyJump host1\nHost jumped2\n${target("host3")}    ProxyJump host1,host2\n`);
    const before = SshConnection.handshakes;
    const lines: string[] = [];
    const conn = await SshConnection.open("jumped", { configFile: cfg, log: (l) => lines.push(l) });
    expect((await runCommand(conn, "hostname")).stdout).toBe("host2\n");
    expect(SshConnection.handshakes - before).toBe(2);
    expect(lines.some((l) => l.startsWith("jump host1: "))).toBe(true);
    await conn.close();
    const two = await SshConnection.open("jumped2", { configFile: cfg });
    expect((await runCommand(two, "hostname")).stdout).toBe("host3\n");
    expect(SshConnection.handshakes - before).toBe(5);
    await two.close();
  });

  test("a jump host failure names the target and the jump host", async () => {
    const cfg = derived("badjump_config", `Host viadead\n    HostName host2\n    ProxyJump nosuchjump\nHost nosuchjump\n${route("host1").replace(/Port \d+/, "Port 9")}`);
    const error = await SshConnection.open("viadead", { configFile: cfg, timeoutSeconds: 5 }).catch((e) => e);
    expect(error).toBeInstanceOf(SshError);
    expect(error.message).toStartWith("cannot reach jump host nosuchjump: ");
    expect(error.context.host).toBe("viadead");
    if (tb.mode !== "netns") return;
    const cfg2 = derived("jumpport_config", "Host closedport\n    HostName host2\n    Port 9\n    ProxyJump host1\n");
    const refused = await SshConnection.open("closedport", { configFile: cfg2, timeoutSeconds: 5 }).catch((e) => e);
    expect(refused.kind).toBe("connect");
    expect(refused.message).toMatch(/^cannot reach host2:9 from jump host: cannot open a tunnel to host2:9: .*refused/i);
  });

  test("direct TCP connection (no ProxyCommand)", async () => {
    const alias = tb.mode === "netns" ? "host1-direct" : "host1";
    const cmd = tb.mode === "netns" ? [TESTHOSTS, "exec", process.execPath] : [process.execPath];
    const r = spawnSync(cmd[0], [...cmd.slice(1), join(import.meta.dir, "../testbed/direct-connect.ts"), tb.sshConfig, alias], {
      encoding: "utf8", env: { ...process.env, TESTHOSTS_DIR: TESTBED_DIR },
    });
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
    expect(out).toMatchObject({ ok: true, hostname: "host1", proxy: null });
  });

  test("direct TCP to a loopback-mode test bed (sshd on 127.0.0.1, no namespaces for the network)", async () => {
    const dir = `${TESTBED_DIR}-loopback`;
    const env = { ...process.env, TESTHOSTS_DIR: dir, TESTHOSTS_MODE: "loopback", TESTHOSTS_PORT_BASE: "22340", TESTHOSTS_QUIET: "1" };
    const up = spawnSync(TESTHOSTS, ["up", "1"], { env, encoding: "utf8" });
    expect(up.stderr).toBe("");
    try {
      const conn = await SshConnection.open("host1", { configFile: join(dir, "ssh_config") });
      expect(conn.settings).toMatchObject({ hostName: "127.0.0.1", port: 22341, proxyCommand: null, hostKeyAlias: "host1" });
      expect((await runCommand(conn, "hostname")).stdout).toBe("host1\n");
      await conn.close();
    } finally {
      spawnSync(TESTHOSTS, ["down"], { env });
    }
  });

  test("ssh-agent keys (IdentitiesOnly no); encrypted key files without a TTY are skipped, or asked via the prompt", async () => {
    const agentDir = mkdtempSync(join(tmpdir(), "batou-agent-"));
    const sock = join(agentDir, "agent.sock");
    const agent = Bun.spawn(["ssh-agent", "-D", "-a", sock], { stdout: "ignore", stderr: "ignore" });
    try {
      expect(await eventually(() => existsSync(sock))).toBe(true);
      expect(spawnSync("ssh-add", ["-q", tb.key], { env: { ...process.env, SSH_AUTH_SOCK: sock } }).status).toBe(0);
      const noKey = join(agentDir, "absent_key");
      const cfg = join(work, "agent_config");
      writeFileSync(cfg, `Host host1\n${route("host1")}    User ${tb.user}\n    UserKnownHostsFile ${tb.knownHosts}\n    IdentityFile ${noKey}\n    IdentitiesOnly no\n`);
      const lines: string[] = [];
      const conn = await SshConnection.open("host1", { configFile: cfg, agentSocket: sock, log: (l) => lines.push(l) });
      expect((await runCommand(conn, "hostname")).stdout).toBe("host1\n");
      await conn.close();
      expect(lines.some((l) => /authenticated as deploy with ssh-agent/.test(l))).toBe(true);

      // an encrypted copy of the key: IdentitiesOnly yes still lets the agent offer that same key
      const enc = join(agentDir, "enc_key");
      copyFileSync(tb.key, enc);
      spawnSync("chmod", ["600", enc]);
      expect(spawnSync("ssh-keygen", ["-q", "-p", "-P", "", "-N", "sekrit", "-f", enc]).status).toBe(0);
      const cfgEnc = join(work, "enc_config");
      writeFileSync(cfgEnc, `Host host1\n${route("host1")}    User ${tb.user}\n    UserKnownHostsFile ${tb.knownHosts}\n    IdentityFile ${enc}\n    IdentitiesOnly yes\n`);
      const viaAgent = await SshConnection.open("host1", { configFile: cfgEnc, agentSocket: sock });
      await viaAgent.close();
      // without the agent and without a TTY, the encrypted key is skipped, with a debug note
      const notes: string[] = [];
      const error = await SshConnection.open("host1", { configFile: cfgEnc, agentSocket: null, log: (l) => notes.push(l) }).catch((e) => e);
      expect(error.kind).toBe("auth");
      expect(error.message).toStartWith("no identity to offer as deploy");
      expect(notes.some((l) => l.includes(`${enc} needs a passphrase and there is no terminal`))).toBe(true);
      // with a prompt (as on a terminal), the passphrase unlocks it
      const questions: string[] = [];
      const prompted = await SshConnection.open("host1", {
        configFile: cfgEnc, agentSocket: null, passphrasePrompt: async (q) => (questions.push(q), "sekrit"),
      });
      await prompted.close();
      expect(questions).toEqual([`Enter passphrase for key '${enc}' (host1): `]);
    } finally {
      agent.kill();
      await agent.exited;
      rmSync(agentDir, { recursive: true, force: true });
    }
  });

  test("a host with nothing listening fails fast, naming the host; retries only such errors", async () => {
    const cfg = derived("dead_config", `Host deadhost\n${route("host1").replace(/Port \d+/, "Port 9").replace(/HostKeyAlias host1/, "HostKeyAlias deadhost")}`);
    const t0 = performance.now();
    const error = await SshConnection.open("deadhost", { configFile: cfg, timeoutSeconds: 5 }).catch((e) => e);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(error).toBeInstanceOf(SshError);
    expect(error.kind).toBe("connect");
    expect(error.context.host).toBe("deadhost");
    expect(error.message).toMatch(tb.mode === "netns" ? /the ProxyCommand exited with status 1/ : /connection refused/);

    let calls = 0;
    const retried = await connectWithRetry(() => (calls++, SshConnection.open("deadhost", { configFile: cfg })), { attempts: 3, backoff: 0.01 }).catch((e) => e);
    expect(calls).toBe(3);
    expect(retried.context.host).toBe("deadhost");
    calls = 0;
    const empty = join(work, "known_hosts_empty3");
    writeFileSync(empty, "");
    const hk = derived("hk_config", `Host host1\n    UserKnownHostsFile ${empty}\n`);
    await connectWithRetry(() => (calls++, SshConnection.open("host1", { configFile: hk })), { attempts: 3, backoff: 0.01 }).catch(() => {});
    expect(calls).toBe(1);
  });
});

/** Opens a transport of `client` to `alias` as configured in `configFile`. */
function openWith(client: SshClient, alias: string, configFile: string, timeoutSeconds = 20): Promise<Transport> {
  return client === "ssh2" ? SshConnection.open(alias, { configFile, timeoutSeconds }) : OpenSshTransport.open(alias, { configFile, timeoutSeconds });
}
const handshakes = (client: SshClient) => (client === "ssh2" ? SshConnection.handshakes : OpenSshTransport.handshakes);

for (const client of SSH_CLIENTS) describe.skipIf(!bed.ok)(`every transport: ${client}`, () => {
  let tb: Testbed;
  let work: string;
  /** TMPDIR while these tests run: whatever a transport leaves there is a leak. */
  let tmp: string;
  const savedTmp = process.env.TMPDIR;
  const derived = (name: string, before: string) => {
    const file = join(work, name);
    writeFileSync(file, `${before}\n${readFileSync(tb.sshConfig, "utf8")}`);
    return file;
  };

  beforeAll(async () => {
    tb = await startTestbed(3);
    work = mkdtempSync(join(tmpdir(), "batou-transports-"));
    tmp = mkdtempSync(join(tmpdir(), "batou-tmp-"));
    process.env.TMPDIR = tmp;
  }, 60_000);
  afterAll(() => {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    rmSync(work, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  });

  test("exec round trip: stdin, stdout, stderr, exit code; one handshake for many commands", async () => {
    const before = handshakes(client);
    const conn = await openWith(client, "host1", tb.sshConfig);
    try {
      expect(conn.user).toBe(tb.user);
      const r = await runCommand(conn, `echo "$(hostname) $(id -un)"; tr a-z A-Z; echo oops >&2; exit 3`, "hello\n");
      expect(r).toEqual({ code: 3, signal: null, stdout: `host1 ${tb.user}\nHELLO\n`, stderr: "oops\n" });
      const bytes = new Uint8Array([0, 1, 2, 255]);
      const b = await runCommand(conn, "od -An -tu1", bytes);
      expect(b.stdout.trim().split(/\s+/)).toEqual(["0", "1", "2", "255"]);
      const many = await Promise.all([1, 2, 3, 4, 5].map((i) => runCommand(conn, `echo ${i}`)));
      expect(many.map((m) => m.stdout)).toEqual(["1\n", "2\n", "3\n", "4\n", "5\n"]);
      expect(handshakes(client) - before).toBe(1);
    } finally {
      await conn.close();
    }
  });

  test("close() ends the commands (they see EOF), the link and whatever it ran locally; then commands are refused", async () => {
    const before = new Set(children());
    const conn = await openWith(client, "host2", tb.sshConfig);
    const tag = `batou-test-${client}-${process.pid}-${Date.now()}`;
    const reader = await conn.spawn(`exec -a ${tag}-cat cat`);
    reader.stdio.write("ping\n");
    const echoed = await new Promise<string>((resolve) => reader.stdio.once("data", (d: Buffer) => resolve(d.toString())));
    expect(echoed).toBe("ping\n");
    expect(await eventually(() => pgrep(`^${tag}-cat`).length === 1)).toBe(true); // on the host (not the local ssh that started it)
    const local = children().filter((pid) => !before.has(pid)); // the proxy (ssh2), the master and its clients (OpenSSH)
    if (tb.mode === "netns" || client === "openssh") expect(local.length).toBeGreaterThan(0);
    await conn.close();
    expect(await eventually(() => pgrep(`^${tag}-cat`).length === 0)).toBe(true);
    expect(await eventually(() => local.every((pid) => !alive(pid)))).toBe(true);
    expect(readdirSync(tmp)).toEqual([]);
    const closed = await runCommand(conn, "true").catch((e) => e);
    expect(closed).toBeInstanceOf(SshError);
    expect(closed.message).toStartWith("connection already closed");
    expect(closed.context.host).toBe("host2");
  });

  test("an unknown host key is refused (never retried), naming the host", async () => {
    const empty = join(work, "known_hosts_empty");
    writeFileSync(empty, "");
    const cfg = derived("unknown_config", `Host host1\n    UserKnownHostsFile ${empty}\n`);
    const error = await openWith(client, "host1", cfg).catch((e) => e);
    expect(error).toBeInstanceOf(SshError);
    expect(error.kind).toBe("hostkey");
    expect(error.context.host).toBe("host1");
    expect(readdirSync(tmp)).toEqual([]);
  });

  test("a host with nothing listening fails fast as a connect error (retried by the caller), naming the host", async () => {
    const [addr] = tb.addrs.host1!.split(":");
    const route = tb.mode === "netns" ? `    ProxyCommand nsenter --net=/run/netns/${tb.clientNetns} nc %h %p\n` : "";
    const cfg = derived("dead_config", `Host deadhost\n    HostName ${tb.mode === "netns" ? addr : "127.0.0.1"}\n    Port 9\n    HostKeyAlias deadhost\n${route}`);
    const t0 = performance.now();
    const error = await openWith(client, "deadhost", cfg, 5).catch((e) => e);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(error).toBeInstanceOf(SshError);
    expect(error.kind).toBe("connect");
    expect(error.context.host).toBe("deadhost");
  });

  test("a host that never answers times out within the deadline; nothing is left running", async () => {
    const tag = `batou-hang-${client}-${process.pid}-${Date.now()}`;
    const cfg = derived("hang_config", `Host hanging\n    ProxyCommand bash -c "exec -a ${tag} sleep 60"\n`);
    const t0 = performance.now();
    const error = await openWith(client, "hanging", cfg, 0.7).catch((e) => e);
    const took = performance.now() - t0;
    expect(took).toBeGreaterThan(600);
    expect(took).toBeLessThan(2500);
    expect(error.kind).toBe("timeout");
    expect(error.message).toContain("0.7 s");
    expect(error.context.host).toBe("hanging");
    expect(await eventually(() => pgrep(tag).length === 0)).toBe(true);
    expect(readdirSync(tmp)).toEqual([]);
  });
});
