/**
 * `PostgresUser`, `PostgresDatabase` and `PostgresExtension` against a real
 * PostgreSQL from Debian, started here (initdb into a temp folder, a private
 * port and socket folder, every statement logged) and stopped afterwards. The
 * components run psql as the `postgres` OS user (batou_ext's `sudo -u
 * postgres`). The password must never appear in any output, in a command
 * line, or in the server's statement log.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { chownSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { passwordMatches, psqlCommand, scramVerifier } from "../../lib/library/postgres-client.ts";
import { cleanupProjects, deploy, makeProject, type Project } from "./helpers.ts";
import { type Cluster, PG_BIN, startCluster } from "./library2-fixtures.ts";

afterAll(cleanupProjects);
setDefaultTimeout(120_000);

const ready = process.getuid?.() === 0 && PG_BIN !== "" && Bun.spawnSync(["id", "postgres"]).exitCode === 0 && Bun.spawnSync(["sh", "-c", "command -v psql"]).exitCode === 0;

describe("postgres-client (pure)", () => {
  test("psql's command line holds no SQL; sudo only with runAs", () => {
    expect(psqlCommand({ pgHost: "/run/postgresql", pgPort: 5433, runAs: "postgres" }, "app")).toEqual([
      "sudo", "-n", "-u", "postgres", "--", "psql", "--no-psqlrc", "--no-align", "--tuples-only", "--quiet", "--set=ON_ERROR_STOP=1", "--host=/run/postgresql", "--port=5433", "--dbname=app",
    ]);
    expect(psqlCommand({})[0]).toBe("psql");
  });

  test("a SCRAM verifier matches its password only; md5 verifiers are understood", () => {
    const verifier = scramVerifier("s3cret");
    expect(verifier).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}$/);
    expect(passwordMatches(verifier, "s3cret", "app")).toBe(true);
    expect(passwordMatches(verifier, "s3cret!", "app")).toBe(false);
    expect(passwordMatches("md5" + new Bun.CryptoHasher("md5").update("pwapp").digest("hex"), "pw", "app")).toBe(true);
    expect(passwordMatches("", "pw", "app")).toBe(false);
  });
});

describe.skipIf(!ready)("PostgreSQL components (a real server started by the test)", () => {
  let cluster: Cluster;
  let dir: string;
  const port = 25000 + (process.pid % 5000);
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "batou-pg-"));
    chownSync(dir, Number(Bun.spawnSync(["id", "-u", "postgres"]).stdout.toString()), -1);
    cluster = startCluster(dir, "postgres", port);
  }, 120_000);
  afterAll(() => {
    cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const files = (password: string, extra = "", flags = "") => ({
    "components/db/component.ts": `import { Component, PostgresDatabase, PostgresExtension, PostgresUser } from "batou";
export class Db extends Component {
  password = ${JSON.stringify(password)};
  configure() {
    const connection = { runAs: "postgres", pgHost: ${JSON.stringify(dir)}, pgPort: ${port} };
    this.add(new PostgresUser("app", { password: this.password, ${flags} ...connection }));
    this.add(new PostgresDatabase("appdb", { owner: "app", ...connection }));
    this.add(new PostgresExtension("pgcrypto", { database: "appdb", ...connection }));${extra}
  }
}
`,
  });

  /** Logs in as app over TCP with `password` (SCRAM); the query's output, or undefined when refused. */
  function loginAsApp(password: string, sql = "SELECT current_user"): string | undefined {
    const r = Bun.spawnSync(["psql", "--no-psqlrc", "-qtA", "-w", "-h", "127.0.0.1", "-p", String(port), "-U", "app", "-d", "appdb", "-c", sql], { env: { ...process.env, PGPASSWORD: password } });
    return r.exitCode === 0 ? r.stdout.toString().trim() : undefined;
  }

  const everything = (runs: { stdout: string; stderr: string }[]) => runs.map((run) => run.stdout + run.stderr).join("\n") + readFileSync(cluster.log, "utf8");

  test("-P changes nothing; the deploy creates role, database and extension; a second deploy changes nothing; the password is nowhere", async () => {
    const password = "Pg-p4ss-w0rd-123";
    const p: Project = makeProject(files(password), ["db"]);
    const predicted = await deploy(p, { predict: true });
    expect(predicted.errors).toEqual([]);
    expect(predicted.logs).toEqual(
      expect.arrayContaining(["create role app (NOSUPERUSER NOCREATEDB NOCREATEROLE LOGIN) with its password", "create database appdb owned by app", "create extension pgcrypto in database appdb"]),
    );
    expect(cluster.sql("SELECT count(*) FROM pg_roles WHERE rolname = 'app'")).toBe("0\n");

    const first = await deploy(p);
    expect(first.errors).toEqual([]);
    expect(loginAsApp(password)).toBe("app");
    expect(cluster.sql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'appdb'")).toBe("app\n");
    // the extension works in the database, for its owner
    expect(loginAsApp(password, "SELECT encode(digest('x', 'sha256'), 'hex')")).toBe("2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881");
    expect(cluster.sql("SELECT rolsuper, rolcreatedb, rolcanlogin FROM pg_roles WHERE rolname = 'app'")).toBe("f|f|t\n");

    const second = await deploy(p);
    expect(second.errors).toEqual([]);
    expect(second.changed).toEqual([]);

    // a new password: altered, the old one no longer logs in
    p.write("components/db/component.ts", files("An0ther-s3cret-pw")["components/db/component.ts"]);
    const changed = await deploy(p);
    expect(changed.logs).toEqual(["alter role app: a new password"]);
    expect(loginAsApp("An0ther-s3cret-pw")).toBe("app");
    expect(loginAsApp(password)).toBeUndefined();

    // flags: only the flags change
    p.write("components/db/component.ts", files("An0ther-s3cret-pw", "", `flags: ["CREATEDB"],`)["components/db/component.ts"]);
    const flagged = await deploy(p);
    expect(flagged.logs).toEqual(["alter role app: flags CREATEDB LOGIN"]);
    expect(cluster.sql("SELECT rolcreatedb FROM pg_roles WHERE rolname = 'app'")).toBe("t\n");
    expect((await deploy(p)).changed).toEqual([]);

    const text = everything([predicted, first, second, changed, flagged]);
    expect(text).not.toContain(password);
    expect(text).not.toContain("An0ther-s3cret-pw");
    // the server did see the statements (its log is the real thing to check)
    expect(readFileSync(cluster.log, "utf8")).toContain('ALTER ROLE "app" WITH CREATEDB LOGIN');
  });

  test("an extension the server lacks is an error under -P; a server not running is only reported under -P, an error otherwise", async () => {
    const missing = makeProject(files("Pg-p4ss-w0rd-123", `\n    this.add(new PostgresExtension("no_such_ext", { database: "appdb", ...connection }));`), ["db"]);
    const predicted = await deploy(missing, { predict: true });
    expect(predicted.errors[0]?.message).toBe("extension no_such_ext is not available on the server");
    expect(predicted.errors[0]?.context).toMatchObject({ component: "Db > PostgresExtension('no_such_ext')", database: "appdb" });

    const down = makeProject(
      { "components/db/component.ts": `import { Component, PostgresUser } from "batou";\nexport class Db extends Component { configure() { this.add(new PostgresUser("app", { password: "x-y-z-w-v", runAs: "postgres", pgHost: ${JSON.stringify(dir)}, pgPort: 9 })); } }\n` },
      ["db"],
    );
    const predictedDown = await deploy(down, { predict: true });
    expect(predictedDown.errors).toEqual([]);
    expect(predictedDown.logs.some((line) => line.startsWith("cannot reach PostgreSQL now (") && line.endsWith("would create it once the server runs"))).toBe(true);
    const run = await deploy(down);
    expect(run.errors[0]?.message).toStartWith("psql failed: ");
    expect(run.errors[0]?.context.component).toBe("Db > PostgresUser('app')");
    expect(run.stdout + run.stderr).not.toContain("x-y-z-w-v");
  });
});
