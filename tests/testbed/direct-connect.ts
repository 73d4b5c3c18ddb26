/**
 * Fixture for the transport tests: opens an SshConnection by plain TCP (no
 * ProxyCommand) and prints a JSON result. In netns mode it must run inside the
 * client namespace: `testhosts exec bun tests/testbed/direct-connect.ts CONFIG ALIAS`.
 */
import { SshConnection } from "../../lib/remote/ssh/connection.ts";
import { runCommand } from "../remote/remote-helpers.ts";

const [configFile, alias] = process.argv.slice(2);
try {
  const conn = await SshConnection.open(alias, { configFile, timeoutSeconds: 10 });
  const r = await runCommand(conn, "hostname");
  console.log(JSON.stringify({ ok: true, hostname: r.stdout.trim(), proxy: conn.settings.proxyCommand, connectMs: conn.connectMs }));
  await conn.close();
} catch (error) {
  console.log(JSON.stringify({ ok: false, error: String(error) }));
}
