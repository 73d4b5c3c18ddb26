/**
 * What the PostgreSQL components share: how to reach the server (`psql` as
 * the deploying user or through `sudo -u`, a socket folder or host, a port,
 * an admin role), SQL quoting, and SCRAM-SHA-256 password verifiers, so a
 * password is never sent to the server (nor into its statement log) and
 * never appears in a command line. Pure functions, and one `runSql` for I/O.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { CommandError, Component, ConfigurationError, DeploymentError } from "../batou-core.ts";

/** The connection options as fields: the base of `PostgresUser`, `PostgresDatabase`, `PostgresExtension`. */
export abstract class PostgresComponent extends Component {
  /** A socket folder (`/run/postgresql`) or a host name (default: libpq's default). */
  pgHost: string | undefined = undefined;
  /** The server's port (default: libpq's default, 5432). */
  pgPort: number | undefined = undefined;
  /** The role to connect as (default: the OS user psql runs as). */
  adminRole: string | undefined = undefined;
  /** Run psql as this OS user through `sudo -n -u` (batou_ext's `sudo -u postgres`). */
  runAs: string | undefined = undefined;
  /** Seconds a statement may take (default 60). */
  timeout = 60;
}

/** How to reach the server; every PostgreSQL component takes these options. */
export type PostgresConnection = Partial<Pick<PostgresComponent, "pgHost" | "pgPort" | "adminRole" | "runAs" | "timeout">>;

const NAME = /^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/;

/** Throws unless `value` is a name that may reach a command line (roles, users, databases). */
export function checkName(component: Component, attribute: string, value: string | undefined, what: string): void {
  if (value === undefined || !NAME.test(value)) {
    throw new ConfigurationError(value ? `invalid ${what} "${value}"` : `no ${what}`, {
      component: component.breadcrumbs,
      attribute,
      expected: "letters, digits, _, $ and -, starting with a letter or _, at most 63 characters",
    });
  }
}

/** Checks the connection options of `component`. */
export function checkConnection(component: PostgresComponent): void {
  if (component.pgHost !== undefined && !/^[A-Za-z0-9_./:-]+$/.test(component.pgHost)) {
    throw new ConfigurationError(`invalid pgHost "${component.pgHost}"`, { component: component.breadcrumbs, attribute: "pgHost", expected: "a socket folder or a host name" });
  }
  if (component.pgPort !== undefined && !(Number.isInteger(component.pgPort) && component.pgPort > 0 && component.pgPort < 65536)) {
    throw new ConfigurationError("pgPort is not a TCP port", { component: component.breadcrumbs, attribute: "pgPort", given: String(component.pgPort) });
  }
  if (component.adminRole !== undefined) checkName(component, "adminRole", component.adminRole, "role");
  if (component.runAs !== undefined && !/^[a-z_][a-z0-9_-]*$/.test(component.runAs)) {
    throw new ConfigurationError(`invalid runAs "${component.runAs}"`, { component: component.breadcrumbs, attribute: "runAs", expected: "an OS user name" });
  }
}

/** A double-quoted SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A single-quoted SQL string literal (standard_conforming_strings, the default since 9.1). */
export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** The psql command line for `connection` (SQL comes on stdin: no statement in argv). */
export function psqlCommand(connection: PostgresConnection, database = "postgres"): string[] {
  return [
    ...(connection.runAs ? ["sudo", "-n", "-u", connection.runAs, "--"] : []),
    "psql",
    "--no-psqlrc",
    "--no-align",
    "--tuples-only",
    "--quiet",
    "--set=ON_ERROR_STOP=1",
    ...(connection.pgHost ? [`--host=${connection.pgHost}`] : []),
    ...(connection.pgPort ? [`--port=${connection.pgPort}`] : []),
    ...(connection.adminRole ? [`--username=${connection.adminRole}`] : []),
    `--dbname=${database}`,
  ];
}

/** A SCRAM-SHA-256 verifier for `password`, as PostgreSQL stores it (what `\password` sends). */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password.normalize("NFKC"), salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

/** Whether `stored` (a role's `rolpassword`: SCRAM or md5) is a verifier of `password` for `role`. */
export function passwordMatches(stored: string, password: string, role: string): boolean {
  const scram = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/.exec(stored);
  if (scram) {
    const expected = scramVerifier(password, Buffer.from(scram[2]!, "base64"), Number(scram[1]));
    return expected.length === stored.length && timingSafeEqual(Buffer.from(expected), Buffer.from(stored));
  }
  if (/^md5[0-9a-f]{32}$/.test(stored)) return stored === `md5${createHash("md5").update(password + role).digest("hex")}`;
  return false;
}

/** Runs `sql` through psql; returns its output lines. Errors name the component, with `secrets` replaced by *****. */
export async function runSql(
  component: PostgresComponent,
  sql: string,
  options: { database?: string; secrets?: string[]; ignoreErrors?: boolean } = {},
): Promise<{ ok: boolean; lines: string[]; error: string }> {
  const hide = (text: string) => (options.secrets ?? []).filter(Boolean).reduce((out, secret) => out.replaceAll(secret, "*****"), text);
  try {
    const result = await component.cmd(psqlCommand(component, options.database), {
      input: sql,
      timeout: component.timeout ?? 60,
      env: { PGCONNECT_TIMEOUT: "10", PGAPPNAME: "batou" },
      ignoreReturnCode: options.ignoreErrors,
    });
    return { ok: result.code === 0, lines: result.stdout.split("\n").filter((line) => line !== ""), error: hide(result.stderr.trim()) };
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    const stderr = hide(error.stderr.trim());
    throw new DeploymentError(error.exitCode === 127 ? "psql is not installed (Debian package postgresql-client)" : `psql failed: ${stderr.split("\n")[0] || `exit ${error.exitCode}`}`, {
      component: component.breadcrumbs,
      database: options.database ?? "postgres",
      stderr: stderr.split("\n").slice(1).join("\n") || undefined,
    });
  }
}

/**
 * Under -P a server that cannot be reached yet (it may be installed by this
 * deploy) is reported, not an error: returns true when the caller should
 * predict the change instead of looking.
 */
export async function unreachableWhilePredicting(component: PostgresComponent): Promise<boolean> {
  if (!component.predicting) return false;
  const probe = await runSql(component, "SELECT 1", { ignoreErrors: true });
  if (probe.ok) return false;
  component.log(`cannot reach PostgreSQL now (${probe.error.split("\n")[0] || "no answer"}); would create it once the server runs`);
  return true;
}
