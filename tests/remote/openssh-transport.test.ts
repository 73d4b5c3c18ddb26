/**
 * The OpenSSH transport's connection over the test bed, where it differs
 * from what every transport does (tests/remote/transport.test.ts): a host
 * that is slow during the handshake.
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

describe.skipIf(!bed.ok)("OpenSSH transport over the test bed", () => {
  let tb: Testbed;
  let work: string;

  beforeAll(async () => {
    tb = await startTestbed(3);
    work = mkdtempSync(join(tmpdir(), "batou-openssh-"));
  }, 60_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test("a host that takes 5 s to answer once during the key exchange still connects (the keepalive is no handshake deadline)", async () => {
    // through delayproxy at 1000 ms RTT on a loaded machine one handshake packet sometimes took over
    // 4 s: OpenSSH then gave up silently (ServerAliveInterval x ServerAliveCountMax bounds each packet
    // of the handshake, reported at LogLevel INFO only) and batou retried the whole connection
    const config = readFileSync(tb.sshConfig, "utf8").replace(/^(\s*ProxyCommand) (?!none)/m, `$1 ${process.execPath} ${STALL_PROXY} 5000 `);
    const slow = join(work, "ssh_config_slow");
    writeFileSync(slow, config.includes(STALL_PROXY) ? config : `Host *\n    ProxyCommand ${process.execPath} ${STALL_PROXY} 5000 nc %h %p\n${config}`);
    const began = performance.now();
    const conn = await OpenSshTransport.open("host1", { configFile: slow, timeoutSeconds: 20 });
    try {
      expect(performance.now() - began).toBeGreaterThan(4500); // the stall did happen
      expect((await runCommand(conn, "echo ok")).stdout).toBe("ok\n");
    } finally {
      await conn.close();
    }
  }, 40_000);
});
