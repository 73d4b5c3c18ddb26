import { ConfigurationError, DeploymentError, UpdateNeeded } from "../batou-core.ts";
import { checkConnection, checkName, PostgresComponent, type PostgresConnection, quoteIdent, quoteLiteral, runSql, unreachableWhilePredicting } from "./postgres-client.ts";

/**
 * `PostgresDatabase`: a PostgreSQL database owned by the given role (created
 * from `template`, with `encoding` and `locale` when given; an existing
 * database with another owner is given to this one). The role is not created
 * here: add a `PostgresUser` before it. Under `-P` a server that cannot be
 * reached yet is reported, not an error.
 *
 * @example
 * ```ts
 * this.add(new PostgresUser("app", { password: this.dbPassword }));
 * this.add(new PostgresDatabase("app", { owner: "app" }));
 * ```
 */
export class PostgresDatabase extends PostgresComponent {
  static override namevar = "name";
  /** The database's name. */
  name = "";
  /** The owning role. */
  owner = "";
  /** The template database (default `template1`): the `template` option (a field of that name would hide `template()`). */
  templateDatabase = "template1";
  /** The encoding of a new database (e.g. `UTF8`; default: the template's). */
  encoding: string | undefined = undefined;
  /** The locale of a new database (e.g. `en_US.UTF-8`; default: the template's). */
  locale: string | undefined = undefined;

  private _exists = false;

  constructor(name: string, options: PostgresDatabaseOptions) {
    const { template, ...rest } = options;
    super(name, template === undefined ? rest : { ...rest, templateDatabase: template });
  }

  override configure(): void {
    checkName(this, "name", this.name, "database name");
    checkName(this, "owner", this.owner, "owner");
    checkName(this, "template", this.templateDatabase, "template");
    checkConnection(this);
    for (const attribute of ["encoding", "locale"] as const) {
      if (this[attribute] !== undefined && !/^[A-Za-z0-9_.@-]+$/.test(this[attribute]!)) {
        throw new ConfigurationError(`invalid ${attribute} "${this[attribute]}"`, { component: this.breadcrumbs, attribute });
      }
    }
  }

  override async verify(): Promise<void> {
    if (await unreachableWhilePredicting(this)) throw new UpdateNeeded("server not reachable");
    const found = await runSql(this, `SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = ${quoteLiteral(this.name)}`);
    this._exists = found.lines.length > 0;
    if (this._exists && found.lines[0] === this.owner) return;
    this.log(this._exists ? `give database ${this.name} to ${this.owner} (owned by ${found.lines[0]})` : `create database ${this.name} owned by ${this.owner}`);
    throw new UpdateNeeded(`database ${this.name} is not there or not owned by ${this.owner}`);
  }

  override async update(): Promise<void> {
    const statement = this._exists
      ? `ALTER DATABASE ${quoteIdent(this.name)} OWNER TO ${quoteIdent(this.owner)}`
      : [
          `CREATE DATABASE ${quoteIdent(this.name)} OWNER ${quoteIdent(this.owner)} TEMPLATE ${quoteIdent(this.templateDatabase)}`,
          ...(this.encoding ? [`ENCODING ${quoteLiteral(this.encoding)}`] : []),
          ...(this.locale ? [`LOCALE ${quoteLiteral(this.locale)}`] : []),
        ].join(" ");
    const result = await runSql(this, statement, { ignoreErrors: true });
    if (!result.ok) {
      throw new DeploymentError(`cannot ${this._exists ? "alter" : "create"} database ${this.name}: ${result.error.split("\n")[0]}`, {
        component: this.breadcrumbs,
        hint: /role .* does not exist/.test(result.error) ? `add PostgresUser("${this.owner}") before it` : undefined,
      });
    }
  }
}

/** The options of {@link PostgresDatabase}: `owner` is required. */
export type PostgresDatabaseOptions = PostgresConnection &
  Pick<PostgresDatabase, "owner"> &
  Partial<Pick<PostgresDatabase, "encoding" | "locale">> & {
    /** The template database (default `template1`); stored as `templateDatabase`, since a field `template` would hide `template()`. */
    template?: string;
  };
