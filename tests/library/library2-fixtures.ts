/**
 * Fixtures of the Build and NodeApp tests (locally and over SSH): a tiny
 * autotools-style source archive, and an npm package packed into a tarball
 * with an application whose lockfile names it, and pure-Python wheels.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** configure: takes --prefix and --greeting=X, writes a Makefile, and counts its runs in ../configure-runs. */
const CONFIGURE = `#!/bin/sh
prefix=/usr/local
greeting=hello
for arg in "$@"; do
  case "$arg" in
    --prefix=*) prefix="\${arg#--prefix=}" ;;
    --greeting=*) greeting="\${arg#--greeting=}" ;;
    *) echo "configure: unknown option $arg" >&2; exit 1 ;;
  esac
done
echo run >> ../configure-runs
cat > Makefile <<EOF
PREFIX = $prefix
hello: hello.c
\tgcc -O1 -DGREETING='"$greeting"' -o hello hello.c
install: hello
\tmkdir -p \\$(PREFIX)/bin
\tcp hello \\$(PREFIX)/bin/hello
EOF
`;

const HELLO = `#include <stdio.h>\nint main(void) { printf("%s from %s\\n", GREETING, VERSION); return 0; }\n`;

/** A source archive `hello-VERSION.tar.gz` (one top folder) in `dir`; its sha256. */
export function sourceArchive(dir: string, version: string): { path: string; checksum: string } {
  const top = join(dir, `hello-${version}`);
  mkdirSync(top, { recursive: true });
  writeFileSync(join(top, "configure"), CONFIGURE);
  chmodSync(join(top, "configure"), 0o755);
  writeFileSync(join(top, "hello.c"), `#define VERSION "${version}"\n${HELLO}`);
  const path = join(dir, `hello-${version}.tar.gz`);
  const r = Bun.spawnSync(["tar", "-czf", path, `hello-${version}`], { cwd: dir });
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  return { path, checksum: new Bun.CryptoHasher("sha256").update(readFileSync(path)).digest("hex") };
}

export function run(cwd: string, ...argv: string[]): string {
  const r = Bun.spawnSync(argv, { cwd, env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false", npm_config_offline: "true" } });
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr}`);
  return r.stdout.toString();
}

/** `npm pack` of a tiny package `greet` at `version`; the tarball's path. */
export function packGreet(dir: string, version: string): string {
  const source = join(dir, `greet-src-${version}`);
  mkdirSync(source, { recursive: true });
  writeFileSync(join(source, "package.json"), JSON.stringify({ name: "greet", version, main: "index.js" }));
  writeFileSync(join(source, "index.js"), `module.exports = () => "hello from greet ${version}";\n`);
  const name = run(source, "npm", "pack", "--pack-destination", dir).trim().split("\n").at(-1)!;
  return join(dir, name);
}

/** How many times `writeApp` wrote. */
let appWrites = 0;

/**
 * Writes the application's package.json (depending on `tarball`) and its lockfile into `app`.
 * Each write gets modification times of its own: a Directory (rsync) that syncs the folder sees
 * the change even within the same second (rsync's quick check compares sizes and whole-second mtimes).
 */
export function writeApp(app: string, tarball: string, installer: "npm" | "bun"): void {
  appWrites++;
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "web", version: "1.0.0", private: true, dependencies: { greet: `file:${tarball}` } }, null, 2));
  rmSync(join(app, "package-lock.json"), { force: true });
  rmSync(join(app, "bun.lock"), { force: true });
  if (installer === "npm") run(app, "npm", "install", "--package-lock-only");
  else run(app, process.execPath, "install", "--lockfile-only");
  const stamp = new Date(Date.UTC(2020, 0, 1) + appWrites * 1000);
  for (const name of ["package.json", "package-lock.json", "bun.lock"]) if (existsSync(join(app, name))) utimesSync(join(app, name), stamp, stamp);
}


/** The Debian interpreter (what a host has). */
export const PYTHON = "/usr/bin/python3";

/** Writes a pure-Python wheel `name-version-py3-none-any.whl` into `dir` (with `requires` as Requires-Dist). */
export function wheel(dir: string, name: string, version: string, requires: string[] = []): void {
  const script = `
import base64, hashlib, sys, zipfile
dir, name, version, requires = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
info = f"{name}-{version}.dist-info"
files = {
    f"{name}/__init__.py": f"VALUE = {name!r} + ' ' + {version!r}\\n",
    f"{info}/METADATA": "Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n%s" % (name, version, "".join(f"Requires-Dist: {r}\\n" for r in requires)),
    f"{info}/WHEEL": "Wheel-Version: 1.0\\nGenerator: batou-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
record = []
for path, text in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
    record.append(f"{path},sha256={digest},{len(text.encode())}")
record.append(f"{info}/RECORD,,")
with zipfile.ZipFile(f"{dir}/{name}-{version}-py3-none-any.whl", "w") as z:
    for path, text in files.items():
        z.writestr(path, text)
    z.writestr(f"{info}/RECORD", "\\n".join(record) + "\\n")
`;
  const r = Bun.spawnSync([PYTHON, "-c", script, dir, name, version, ...requires]);
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
}


/** The folder of PostgreSQL's server programs (Debian keeps them out of PATH). */
export const PG_BIN = Bun.spawnSync(["sh", "-c", "ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1"]).stdout.toString().trim();

/** A PostgreSQL cluster a test started: its socket folder, port and server log. */
export interface Cluster {
  dir: string;
  socket: string;
  port: number;
  log: string;
  /** Runs `sql` as the cluster's superuser; returns psql's output. */
  sql(sql: string, database?: string): string;
  stop(): void;
}

/**
 * initdb into `dir` and start the server as OS user `user` (its superuser role
 * has that name; local connections by peer, TCP by SCRAM password), on a
 * private port and socket folder, every statement logged. `wrap` runs a
 * command elsewhere (inside a test host). Stop it with `stop()`.
 */
export function startCluster(dir: string, user: string, port: number, wrap: (argv: string[]) => string[] = (argv) => argv): Cluster {
  const as = (argv: string[]) => wrap(["sudo", "-n", "-u", user, "--", ...argv]);
  const run = (argv: string[], input?: string) => {
    const r = Bun.spawnSync(as(argv), { stdin: input === undefined ? "ignore" : new TextEncoder().encode(input) });
    if (r.exitCode !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr}`);
    return r.stdout.toString();
  };
  const data = join(dir, "data");
  const log = join(dir, "server.log");
  run([join(PG_BIN, "initdb"), "--auth-local=peer", "--auth-host=scram-sha-256", "--username", user, "--encoding=UTF8", "--locale=C", "-D", data]);
  const options = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c log_statement=all -c fsync=off`;
  run([join(PG_BIN, "pg_ctl"), "-D", data, "-l", log, "-o", options, "-w", "-t", "60", "start"]);
  return {
    dir,
    socket: dir,
    port,
    log,
    sql: (sql, database = "postgres") => run(["psql", "--no-psqlrc", "-qtA", "-v", "ON_ERROR_STOP=1", "-h", dir, "-p", String(port), "-d", database], sql),
    stop: () => {
      Bun.spawnSync(as([join(PG_BIN, "pg_ctl"), "-D", data, "-m", "fast", "-w", "stop"]));
    },
  };
}
