import { ConfigurationError, DeploymentError, UpdateNeeded } from "../batou-core.ts";
import {
  checkConnection,
  checkName,
  passwordMatches,
  PostgresComponent,
  type PostgresConnection,
  quoteIdent,
  quoteLiteral,
  runSql,
  scramVerifier,
  unreachableWhilePredicting,
} from "./postgres-client.ts";

/** The role attributes `flags` may set, and the pg_roles column of each. */
const FLAGS: Record<string, string> = { SUPERUSER: "rolsuper", CREATEDB: "rolcreatedb", CREATEROLE: "rolcreaterole", REPLICATION: "rolreplication", INHERIT: "rolinherit", BYPASSRLS: "rolbypassrls" };

/**
 * `PostgresUser`: a PostgreSQL role that can log in with the given password
 * and has exactly the given flags (default `NOSUPERUSER NOCREATEDB
 * NOCREATEROLE`). The password is checked against the role's stored verifier
 * (SCRAM-SHA-256 or md5) without sending it; a new one is sent as a
 * SCRAM-SHA-256 verifier computed here, so the password never reaches the
 * server, its statement log, a command line or any output. Under `-P` a server
 * that cannot be reached yet is reported, not an error.
 *
 * @example
 * ```ts
 * this.add(new PostgresUser("app", { password: this.dbPassword, runAs: "postgres" }));
 * ```
 */
export class PostgresUser extends PostgresComponent {
  static override namevar = "name";
  /** The role's name. */
  name = "";
  /** The role's password (from the environment's secrets). */
  password = "";
  /** Role attributes (default `["NOSUPERUSER", "NOCREATEDB", "NOCREATEROLE"]`); LOGIN is always given. */
  flags: string[] = ["NOSUPERUSER", "NOCREATEDB", "NOCREATEROLE"];

  /** What verify found, for update. */
  private _exists = false;
  private _setPassword = false;

  constructor(name: string, options: PostgresUserOptions) {
    super(name, options);
  }

  override configure(): void {
    checkName(this, "name", this.name, "role name");
    checkConnection(this);
    if (typeof this.password !== "string" || this.password === "") {
      throw new ConfigurationError(`role ${this.name} has no password`, { component: this.breadcrumbs, attribute: "password", hint: "set it in the environment's secrets" });
    }
    if (!Array.isArray(this.flags)) throw new ConfigurationError("flags is not a list", { component: this.breadcrumbs, attribute: "flags" });
    for (const flag of this.flags) {
      if (!(String(flag).replace(/^NO/, "") in FLAGS)) {
        throw new ConfigurationError(`unknown role flag "${flag}"`, { component: this.breadcrumbs, attribute: "flags", expected: Object.keys(FLAGS).flatMap((f) => [f, `NO${f}`]).join(", ") });
      }
    }
  }

  /** The flags as `column → wanted value`. */
  private get wantedFlags(): Record<string, boolean> {
    const wanted: Record<string, boolean> = { rolcanlogin: true };
    for (const flag of this.flags) wanted[FLAGS[flag.replace(/^NO/, "")]!] = !flag.startsWith("NO");
    return wanted;
  }

  override async verify(): Promise<void> {
    if (await unreachableWhilePredicting(this)) throw new UpdateNeeded("server not reachable");
    const columns = Object.keys(this.wantedFlags);
    const found = await runSql(this, `SELECT ${columns.join(", ")} FROM pg_roles WHERE rolname = ${quoteLiteral(this.name)}`);
    this._exists = found.lines.length > 0;
    if (!this._exists) {
      this._setPassword = true;
      this.log(`create role ${this.name} (${this.flags.join(" ")} LOGIN) with its password`);
      throw new UpdateNeeded(`role ${this.name} does not exist`);
    }
    const values = found.lines[0]!.split("|");
    const differing = columns.filter((column, i) => (values[i] === "t") !== this.wantedFlags[column]);
    this._setPassword = !(await this.passwordIsCurrent());
    if (differing.length === 0 && !this._setPassword) return;
    const changes = [...(differing.length ? [`flags ${this.flags.join(" ")} LOGIN`] : []), ...(this._setPassword ? ["a new password"] : [])];
    this.log(`alter role ${this.name}: ${changes.join(", ")}`);
    throw new UpdateNeeded(`role ${this.name} differs`);
  }

  /** Whether the role's stored verifier is one of the password (read from pg_authid; else by logging in). */
  private async passwordIsCurrent(): Promise<boolean> {
    const stored = await runSql(this, `SELECT coalesce(rolpassword, '') FROM pg_authid WHERE rolname = ${quoteLiteral(this.name)}`, { ignoreErrors: true });
    if (stored.ok) return passwordMatches(stored.lines[0] ?? "", this.password, this.name);
    // not allowed to read pg_authid (no superuser): try the password itself over TCP
    const login = await this.cmd(["psql", "--no-psqlrc", "--quiet", "--tuples-only", `--host=${this.pgHost?.startsWith("/") || !this.pgHost ? "localhost" : this.pgHost}`, ...(this.pgPort ? [`--port=${this.pgPort}`] : []), `--username=${this.name}`, "--dbname=postgres", "--no-password"], {
      input: "SELECT 1",
      ignoreReturnCode: true,
      env: { PGPASSWORD: this.password, PGCONNECT_TIMEOUT: "10" },
    });
    return login.code === 0;
  }

  override async update(): Promise<void> {
    const verifier = scramVerifier(this.password);
    const attributes = [...this.flags, "LOGIN", ...(this._setPassword ? [`PASSWORD ${quoteLiteral(verifier)}`] : [])].join(" ");
    const statement = `${this._exists ? "ALTER" : "CREATE"} ROLE ${quoteIdent(this.name)} WITH ${attributes}`;
    const result = await runSql(this, statement, { secrets: [verifier, this.password], ignoreErrors: true });
    if (!result.ok) {
      throw new DeploymentError(`cannot ${this._exists ? "alter" : "create"} role ${this.name}: ${result.error.split("\n")[0]}`, {
        component: this.breadcrumbs,
        hint: "the admin role needs CREATEROLE (or SUPERUSER)",
      });
    }
  }
}

/** The options of {@link PostgresUser}: `password` is required. */
export type PostgresUserOptions = PostgresConnection & Pick<PostgresUser, "password"> & Partial<Pick<PostgresUser, "flags">>;
