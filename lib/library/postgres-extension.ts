import { ConfigurationError, DeploymentError, UpdateNeeded } from "../batou-core.ts";
import { checkConnection, checkName, PostgresComponent, type PostgresConnection, quoteIdent, quoteLiteral, runSql, unreachableWhilePredicting } from "./postgres-client.ts";

/**
 * `PostgresExtension`: an extension is created in a database (`CREATE
 * EXTENSION`). An extension the server does not have (its package is not
 * installed) is an error in verify, also under `-P`, naming the extension
 * and the database. Under `-P` a server or database that is not there yet is
 * reported, not an error.
 *
 * @example
 * ```ts
 * this.add(new PostgresExtension("pgcrypto", { database: "app" }));
 * ```
 */
export class PostgresExtension extends PostgresComponent {
  static override namevar = "name";
  /** The extension's name. */
  name = "";
  /** The database to create it in. */
  database = "";
  /** The schema for its objects (default: the first of the search path). */
  schema: string | undefined = undefined;

  constructor(name: string, options: PostgresExtensionOptions) {
    super(name, options);
  }

  override configure(): void {
    if (!/^[A-Za-z0-9_-]{1,63}$/.test(this.name)) {
      throw new ConfigurationError(`invalid extension name "${this.name}"`, { component: this.breadcrumbs, expected: "letters, digits, _ and -" });
    }
    checkName(this, "database", this.database, "database");
    if (this.schema !== undefined) checkName(this, "schema", this.schema, "schema");
    checkConnection(this);
  }

  override async verify(): Promise<void> {
    if (await unreachableWhilePredicting(this)) throw new UpdateNeeded("server not reachable");
    const available = await runSql(this, `SELECT 1 FROM pg_available_extensions WHERE name = ${quoteLiteral(this.name)}`);
    if (available.lines.length === 0) {
      throw new DeploymentError(`extension ${this.name} is not available on the server`, {
        component: this.breadcrumbs,
        database: this.database,
        hint: "install the package that provides it (e.g. postgresql-contrib, postgis)",
      });
    }
    const installed = await runSql(this, `SELECT 1 FROM pg_extension WHERE extname = ${quoteLiteral(this.name)}`, { database: this.database, ignoreErrors: true });
    if (installed.ok && installed.lines.length > 0) return;
    if (!installed.ok && !(this.predicting && /database .* does not exist/.test(installed.error))) {
      throw new DeploymentError(`cannot look into database ${this.database}: ${installed.error.split("\n")[0]}`, { component: this.breadcrumbs });
    }
    this.log(`create extension ${this.name} in database ${this.database}`);
    throw new UpdateNeeded(`extension ${this.name} is not in ${this.database}`);
  }

  override async update(): Promise<void> {
    const schema = this.schema ? ` SCHEMA ${quoteIdent(this.schema)}` : "";
    const result = await runSql(this, `CREATE EXTENSION IF NOT EXISTS ${quoteIdent(this.name)}${schema}`, { database: this.database, ignoreErrors: true });
    if (!result.ok) {
      throw new DeploymentError(`cannot create extension ${this.name} in ${this.database}: ${result.error.split("\n")[0]}`, {
        component: this.breadcrumbs,
        hint: "creating most extensions needs a superuser (or a trusted extension and CREATE on the database)",
      });
    }
  }
}

/** The options of {@link PostgresExtension}: `database` is required. */
export type PostgresExtensionOptions = PostgresConnection & Pick<PostgresExtension, "database"> & Partial<Pick<PostgresExtension, "schema">>;
