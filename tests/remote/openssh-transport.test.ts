/**
 * The OpenSSH transport's connection over the test bed, where it differs
 * from what every transport does (tests/remote/transport.test.ts): a host
 * that is slow during the handshake, a slow uplink under an upload.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OpenSshTransport } from "../../lib/remote/openssh/transport.ts";
import { startTestbed, type Testbed, testbedAvailability } from "../testbed/testbed.ts";
import { runCommand } from "./remote-helpers.ts";

const bed = testbedAvailability();
const STALL_PROXY = join(import.meta.dir, "stall-proxy.ts");
const THROTTLE_PROXY = join(import.meta.dir, "throttle-proxy.ts");

describe.skipIf(!bed.ok)("OpenSSH transport over the test bed", () => {
  let tb: Testbed;
  let work: string;

  beforeAll(async () => {
    tb = await startTestbed(3);
    work = mkdtempSync(join(tmpdir(), "batou-openssh-"));
  }, 60_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** The test bed's ssh_config with `bun WRAPPER ARG` in front of its ProxyCommand. */
  const wrapped = (name: string, wrapper: string, arg: number) => {
    const config = readFileSync(tb.sshConfig, "utf8");
    const proxy = `${process.execPath} ${wrapper} ${arg}`;
    const file = join(work, name);
    const route = /^(\s*ProxyCommand) (?!none)/m;
    writeFileSync(file, route.test(config) ? config.replace(route, `$1 ${proxy} `) : `Host *\n    ProxyCommand ${proxy} nc %h %p\n${config}`);
    return file;
  };

  test("a host that takes 5 s to answer once during the key exchange still connects (the keepalive is no handshake deadline)", async () => {
    // through delayproxy at 1000 ms RTT on a loaded machine one handshake packet sometimes took over
    // 4 s: OpenSSH then gave up silently (ServerAliveInterval x ServerAliveCountMax bounds each packet
    // of the handshake, reported at LogLevel INFO only) and batou retried the whole connection
    const slow = wrapped("ssh_config_slow", STALL_PROXY, 5000);
    const began = performance.now();
    const conn = await OpenSshTransport.open("host1", { configFile: slow, timeoutSeconds: 20 });
    try {
      expect(performance.now() - began).toBeGreaterThan(4500); // the stall did happen
      expect((await runCommand(conn, "echo ok")).stdout).toBe("ok\n");
    } finally {
      await conn.close();
    }
  }, 40_000);

  test("an upload that a slow uplink queues for longer than the keepalive allows is no lost host", async () => {
    // at 200 KB/s, 1.5 MB take ~7.5 s to pass, and every keepalive sent meanwhile waits behind them
    // (OpenSSH's ServerAlive would see the host's window adjustments; batou cannot): a command whose
    // input backed up may wait that long for its answer
    const slow = wrapped("ssh_config_uplink", THROTTLE_PROXY, 200_000);
    const conn = await OpenSshTransport.open("host1", { configFile: slow, timeoutSeconds: 30 });
    try {
      const began = performance.now();
      const r = await runCommand(conn, "wc -c", Buffer.alloc(1_500_000, 120));
      expect(performance.now() - began).toBeGreaterThan(6000); // the uplink was that slow
      expect(r).toMatchObject({ code: 0, stdout: "1500000\n" });
    } finally {
      await conn.close();
    }
  }, 60_000);
});
