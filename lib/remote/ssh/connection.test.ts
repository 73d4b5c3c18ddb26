/** Host names that would run commands on the deploying machine never reach a shell (no sshd needed: refused before connecting). */
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SshConnection } from "./connection.ts";
import { SshError } from "./ssh-error.ts";

const dir = mkdtempSync(join(tmpdir(), "batou-hostname-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test.each([
  ["command substitution", (m: string) => `$(touch ${m})a`],
  ["backticks", (m: string) => `\`touch ${m}\`a`],
  ["a semicolon", (m: string) => `a;touch ${m}`],
  ["a leading dash", (m: string) => `-oProxyCommand=touch ${m}`],
  ["a newline", (m: string) => `a\ntouch ${m}`],
])("a host name with %s is refused before any ProxyCommand runs", async (_, name) => {
  const marker = join(dir, `pwned-${Math.random().toString(36).slice(2)}`);
  const config = join(dir, "ssh_config");
  writeFileSync(config, "Host *\n    ProxyCommand sh -c 'echo %h' >/dev/null; nc %h %p\n    ConnectTimeout 2\n");
  const alias = name(marker);
  const error = await SshConnection.open(alias, { configFile: config, agentSocket: null }).catch((e) => e);
  expect(error).toBeInstanceOf(SshError);
  expect(error.kind).toBe("config");
  expect(error.message).toStartWith(`invalid host name ${JSON.stringify(alias)}`);
  expect(error.context.host).toBe(alias);
  await Bun.sleep(100); // a negative check: give a stray ProxyCommand the time to write
  expect(existsSync(marker)).toBe(false);
});
