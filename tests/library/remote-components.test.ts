/**
 * The second round of library components over SSH, on a test bed host as its
 * service user (not root): -P on an empty host predicts without failing and
 * creates nothing, the deploy does the work (checked from outside with the
 * real programs), and a second deploy changes nothing.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Testbed, runInHost, startTestbed, testbedAvailability } from "../testbed/testbed.ts";
import { deploy, makeProject, type Project, SSH_CLIENTS, sshClientSetting } from "../remote/remote-helpers.ts";
import { PG_BIN, packGreet, sourceArchive, startCluster, wheel, writeApp } from "./library2-fixtures.ts";
import { TESTHOSTS } from "../testbed/testbed.ts";

setDefaultTimeout(180_000);

const bed = testbedAvailability();
const have = (cmd: string) => Bun.spawnSync(["sh", "-c", `command -v ${cmd}`]).exitCode === 0;

/** uid of the test bed's service user. */
const SERVICE_UID = 2001;

for (const client of SSH_CLIENTS) describe.skipIf(!bed.ok || !["htpasswd", "openssl", "python3", "hg", "crontab", "gcc", "make", "npm"].every(have))(`library components over SSH with ${client} as the service user`, () => {
  let tb: Testbed;
  let p: Project;
  const target = `t-library2-${client}-${process.pid}`;
  let home: string;
  const work = (root: string) => join(home, target, "work", root);
  const httpPort = 20000 + (process.pid % 20000) + SSH_CLIENTS.indexOf(client);

  /** Fixtures every host sees read-only at the same path. */
  let shared: string;
  const hg = (cwd: string, ...args: string[]) => Bun.spawnSync(["hg", ...args], { cwd, env: { ...process.env, HGUSER: "t <t@x>" } });

  beforeAll(async () => {
    tb = await startTestbed(1);
    home = join(tb.roots.host1!, "home/service");
    shared = mkdtempSync(join(tb.dir, "shared", "library2-"));
    mkdirSync(join(shared, "hgrepo"));
    hg(join(shared, "hgrepo"), "init");
    writeFileSync(join(shared, "hgrepo/README"), "from hg\n");
    hg(join(shared, "hgrepo"), "commit", "-A", "-m", "init");
    const archive = sourceArchive(shared, "1.0");
    const tarball = packGreet(shared, "1.0.0");
    const app = join(shared, "app");
    writeApp(app, tarball, "npm");
    mkdirSync(join(shared, "wheels"));
    wheel(join(shared, "wheels"), "greeting", "1.0");
    wheel(join(shared, "wheels"), "shout", "1.0", ["greeting"]);
    Bun.spawnSync(["chmod", "-R", "a+rX", shared]);
    const env = `[environment]\ntarget_directory = "${target}"\nservice_user = "service"\ntimeout = 120\n${sshClientSetting(client)}\n[hosts.host1]\ncomponents = ["web", "logs", "cron", "tools"]\n`;
    p = makeProject(tb, {
      "environments/bed.toml": env,
      "components/web/component.ts": `import { Certificate, Command, Component, File, HTTPCheck, Htpasswd, Mercurial, RotatedLogfile } from "batou";
export class Web extends Component {
  configure() {
    this.add(new Htpasswd("htpasswd", { users: { alice: "al1ce-remote-pw" }, cost: 5 }));
    this.add(new Certificate("tls.crt", { commonName: "host1", altNames: ["127.0.0.1"], keyType: "ec:prime256v1" }));
    this.add(new File("htdocs/health", { content: "ok\\n", leadingDirs: true }));
    // a "service" the deploy starts, and the check that waits for it
    this.add(new Command("nohup python3 -m http.server ${httpPort} --bind 127.0.0.1 --directory htdocs >server.log 2>&1 & echo $! > server.pid", {
      unless: "test -f server.pid && kill -0 $(cat server.pid)",
    }));
    this.add(new HTTPCheck("http://127.0.0.1:${httpPort}/health", { timeout: 30, contains: "ok" }));
    this.add(new Mercurial("${join(shared, "hgrepo")}", { target: "hg" }));
    this.add(new RotatedLogfile("server.log", { rotate: 2, size: "1", postrotate: "touch rotated" }));
  }
}
`,
      "components/tools/app/package.json": readFileSync(join(app, "package.json"), "utf8"),
      "components/tools/app/package-lock.json": readFileSync(join(app, "package-lock.json"), "utf8"),
      "components/tools/requirements.lock": "shout==1.0\n",
      "components/tools/component.ts": `import { Build, Component, Directory, NodeApp, Package, Requirements, VirtualEnv } from "batou";
export class Tools extends Component {
  configure() {
    const venv = this.add(new VirtualEnv("venv", { noIndex: true, findLinks: ["${join(shared, "wheels")}"] }));
    venv.add(new Requirements("requirements.lock"));
    venv.add(new Package("greeting", { version: "1.0" }));
    this.add(new Build("${archive.path}", { checksum: "sha256:${archive.checksum}", configure: "--greeting=remote", make: "hello" }));
    this.add(new Directory("app", { source: "app", exclude: ["node_modules"] }));
    this.add(new NodeApp("app", { production: true }));
  }
}
`,
      "components/logs/component.ts": `import { Component, Logrotate } from "batou";
export class Logs extends Component { configure() { this.add(new Logrotate()); } }
`,
      "components/cron/component.ts": `import { Component, CronTab } from "batou";
export class Cron extends Component { configure() { this.add(new CronTab()); } }
`,
    });
  }, 60_000);

  afterAll(() => {
    const pidfile = join(work("web"), "server.pid");
    if (existsSync(pidfile)) Bun.spawnSync(["kill", readFileSync(pidfile, "utf8").trim()]);
    p?.remove();
    runInHost("host1", "crontab", "-u", "service", "-r");
    if (shared) rmSync(shared, { recursive: true, force: true });
    Bun.spawnSync(["rm", "-rf", join(home, target)]);
  });

  test("-P on an empty host, then the deploy, then a second deploy that changes nothing", async () => {
    const predicted = await deploy(p, "bed", ["-P"]);
    expect(predicted.errors).toEqual([]);
    expect(predicted.code).toBe(0);
    expect(existsSync(join(home, target, "work"))).toBe(false);
    const logs = predicted.events.filter((e) => e.event === "log").map((e) => e.message as string);
    expect(logs).toContain(`/home/service/${target}/work/web/htpasswd: add alice`);
    expect(logs.some((line) => line.startsWith(`/home/service/${target}/work/web/tls.crt: no key yet;`))).toBe(true);
    expect(logs.some((line) => line.startsWith(`would wait up to 30 s for http://127.0.0.1:${httpPort}/health`))).toBe(true);

    const first = await deploy(p, "bed");
    expect(first.errors).toEqual([]);
    expect(first.code).toBe(0);
    expect(first.stdout + first.stderr).not.toContain("al1ce-remote-pw");
    const htpasswd = join(work("web"), "htpasswd");
    expect(Bun.spawnSync(["htpasswd", "-v", "-b", htpasswd, "alice", "al1ce-remote-pw"], { stderr: "pipe" }).exitCode).toBe(0);
    expect(statSync(htpasswd).uid).toBe(SERVICE_UID);
    const crt = join(work("web"), "tls.crt");
    expect(Bun.spawnSync(["openssl", "x509", "-in", crt, "-noout", "-subject"]).stdout.toString()).toBe("subject=CN = host1\n");
    expect(statSync(join(work("web"), "tls.key")).uid).toBe(SERVICE_UID);
    expect(readFileSync(join(work("web"), "hg/README"), "utf8")).toBe("from hg\n");
    // built and installed into the prefix (the workdir) as the service user; the app's dependency installed by npm ci
    expect(runInHost("host1", "sudo", "-u", "service", `/home/service/${target}/work/tools/bin/hello`).stdout).toBe("remote from 1.0\n");
    expect(statSync(join(work("tools"), "bin/hello")).uid).toBe(SERVICE_UID);
    expect(readFileSync(join(work("tools"), "app/node_modules/greet/index.js"), "utf8")).toContain("greet 1.0.0");
    const venvPython = `/home/service/${target}/work/tools/venv/bin/python`;
    expect(runInHost("host1", "sudo", "-u", "service", venvPython, "-c", "import greeting; print(greeting.VALUE)").stdout).toBe("greeting 1.0\n");
    // the requirements file, read on the host from the shipped project, installed with the package
    expect(runInHost("host1", "sudo", "-u", "service", venvPython, "-c", "import shout; print(shout.VALUE)").stdout).toBe("shout 1.0\n");
    const venvLink = readlinkSync(join(work("tools"), "venv"));
    expect(readFileSync(join(work("tools"), venvLink, "requirements.txt"), "utf8")).toBe("shout==1.0\ngreeting==1.0\n");
    expect(statSync(join(work("tools"), venvLink, "pyvenv.cfg")).uid).toBe(SERVICE_UID);
    // the service user's crontab runs logrotate on the service user's configuration; run its command as the cron daemon would
    const crontab = runInHost("host1", "crontab", "-u", "service", "-l").stdout;
    const line = crontab.split("\n").find((l) => l.includes("logrotate"))!;
    expect(line).toBe(`45 2 * * * /usr/sbin/logrotate -s /home/service/${target}/work/logs/logrotate.state /home/service/${target}/work/logs/logrotate.conf`);
    const rotate = runInHost("host1", "sudo", "-u", "service", "-H", "sh", "-c", `cd && ${line.slice("45 2 * * * ".length)}`);
    expect(rotate.stderr).toBe("");
    expect(rotate.code).toBe(0);
    expect(readdirSync(work("web")).filter((name) => name.startsWith("server.log")).length).toBe(2);
    expect(existsSync(join(home, "rotated"))).toBe(true);

    const second = await deploy(p, "bed");
    expect(second.errors).toEqual([]);
    expect(second.summary?.changed).toBe(0);
  });

  test("KeyPair, KnownHost and AuthorizedKeys in the service user's ~/.ssh: a real login through sshd with them", async () => {
    const [address, port] = tb.addrs.host1!.split(":") as [string, string];
    const sshTarget = `${target}-ssh`;
    const files = (keys: string[]) => ({
      "environments/ssh.toml": `[environment]\ntarget_directory = "${sshTarget}"\nservice_user = "service"\ntimeout = 60\n[hosts.host1]\ncomponents = ["keys"]\n`,
      "components/keys/component.ts": `import { AuthorizedKeys, Component, KeyPair, KnownHost } from "batou";
export class Keys extends Component {
  configure() {
    this.add(new KeyPair("~/.ssh/id_ed25519", { comment: "service@host1" }));
    this.add(new KnownHost("${address}", { port: ${port} }));
    ${keys.length ? `this.add(new AuthorizedKeys({ keys: ${JSON.stringify(keys)} }));` : ""}
  }
}
`,
    });
    const q = makeProject(tb, files([]));
    const ssh = join(home, ".ssh");
    const login = () => runInHost("host1", "sudo", "-u", "service", "-H", "ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-p", port, address, "echo", "in as $(id -un)");
    try {
      const predicted = await deploy(q, "ssh", ["-P"]);
      expect(predicted.errors).toEqual([]);
      expect(existsSync(join(ssh, "id_ed25519"))).toBe(false);
      expect((await deploy(q, "ssh")).errors).toEqual([]);
      const publicKey = readFileSync(join(ssh, "id_ed25519.pub"), "utf8").trim();
      expect(publicKey).toEndWith(" service@host1");
      expect(statSync(join(ssh, "id_ed25519")).uid).toBe(SERVICE_UID);
      expect(statSync(join(ssh, "id_ed25519")).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(ssh, "known_hosts"), "utf8")).toContain(port === "22" ? `${address} ssh-ed25519 ` : `[${address}]:${port} ssh-ed25519 `);
      // the key is not authorized yet
      expect(login().code).not.toBe(0);

      q.write("components/keys/component.ts", files([publicKey])["components/keys/component.ts"]);
      const authorized = await deploy(q, "ssh");
      expect(authorized.errors).toEqual([]);
      expect(statSync(join(ssh, "authorized_keys")).mode & 0o777).toBe(0o600);
      const result = login();
      expect(result.stderr).toBe("");
      expect(result.stdout).toBe("in as service\n");

      const again = await deploy(q, "ssh");
      expect(again.errors).toEqual([]);
      expect(again.summary?.changed).toBe(0);
      expect(readFileSync(join(ssh, "id_ed25519.pub"), "utf8").trim()).toBe(publicKey);
    } finally {
      q.remove();
      for (const name of ["id_ed25519", "id_ed25519.pub", "known_hosts", "authorized_keys"]) rmSync(join(ssh, name), { force: true });
      Bun.spawnSync(["rm", "-rf", join(home, sshTarget)]);
    }
  });

  test.skipIf(PG_BIN === "")("PostgresUser, PostgresDatabase and PostgresExtension as the service user against its own PostgreSQL on the host", async () => {
    const inside = `/home/service/pg-${process.pid}`;
    const outside = join(home, `pg-${process.pid}`);
    mkdirSync(outside);
    Bun.spawnSync(["chown", String(SERVICE_UID), outside]);
    // initdb, pg_ctl and psql run inside host1, as its service user
    const cluster = startCluster(inside, "service", 5432, (argv) => ["env", `TESTHOSTS_DIR=${tb.dir}`, "TESTHOSTS_QUIET=1", TESTHOSTS, "run", "host1", ...argv]);
    const pgTarget = `${target}-pg`;
    const q = makeProject(tb, {
      "environments/pg.toml": `[environment]\ntarget_directory = "${pgTarget}"\nservice_user = "service"\ntimeout = 60\n[hosts.host1]\ncomponents = ["db"]\n`,
      "components/db/component.ts": `import { Component, PostgresDatabase, PostgresExtension, PostgresUser } from "batou";
export class Db extends Component {
  configure() {
    const connection = { pgHost: "${inside}", pgPort: 5432 };
    this.add(new PostgresUser("app", { password: "rem0te-Pg-pass", ...connection }));
    this.add(new PostgresDatabase("appdb", { owner: "app", ...connection }));
    this.add(new PostgresExtension("pgcrypto", { database: "appdb", ...connection }));
  }
}
`,
    });
    try {
      const predicted = await deploy(q, "pg", ["-P"]);
      expect(predicted.errors).toEqual([]);
      expect(cluster.sql("SELECT count(*) FROM pg_roles WHERE rolname = 'app'")).toBe("0\n");
      const first = await deploy(q, "pg");
      expect(first.errors).toEqual([]);
      expect(cluster.sql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'appdb'")).toBe("app\n");
      expect(cluster.sql("SELECT extname FROM pg_extension WHERE extname = 'pgcrypto'", "appdb")).toBe("pgcrypto\n");
      // the password logs in over TCP on the host
      const login = runInHost("host1", "env", "PGPASSWORD=rem0te-Pg-pass", "psql", "-qtA", "-w", "-h", "127.0.0.1", "-p", "5432", "-U", "app", "-d", "appdb", "-c", "SELECT current_user");
      expect(login.stdout).toBe("app\n");
      const second = await deploy(q, "pg");
      expect(second.errors).toEqual([]);
      expect(second.summary?.changed).toBe(0);
      const output = [predicted, first, second].map((run) => run.stdout + run.stderr).join("\n") + readFileSync(join(outside, "server.log"), "utf8");
      expect(output).not.toContain("rem0te-Pg-pass");
    } finally {
      cluster.stop();
      q.remove();
      rmSync(outside, { recursive: true, force: true });
      Bun.spawnSync(["rm", "-rf", join(home, pgTarget)]);
    }
  });
});
