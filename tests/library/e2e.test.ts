/**
 * End to end: a project using every library component, deployed twice through
 * the CLI (`batou deploy local --json`, connect_method = "local"); the second
 * deploy must change nothing, and a -P run before the first must change nothing.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deploy, makeProject, cleanupProjects } from "./helpers.ts";
import { type Cluster, PG_BIN, PYTHON, packGreet, sourceArchive, startCluster, wheel, writeApp } from "./library2-fixtures.ts";
import { waitForSync, waitUntilSync } from "../helpers/wait.ts";

afterAll(cleanupProjects);

setDefaultTimeout(180_000);

const have = (cmd: string) => Bun.spawnSync(["sh", "-c", `command -v ${cmd}`]).exitCode === 0;
const ready = process.getuid?.() === 0 && ["crontab", "supervisord", "supervisorctl", "git", "rsync", "tar", "unzip", "hg", "htpasswd", "openssl", "gcc", "make", "npm", "psql"].every(have) && PG_BIN !== "";
const USER = "batou-crontest";

function sh(cmd: string, cwd?: string): string {
  const r = Bun.spawnSync(["sh", "-c", cmd], { cwd, env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@x", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@x" } });
  if (r.exitCode !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  return r.stdout.toString();
}

describe.skipIf(!ready)("every library component, deployed twice through the CLI", () => {
  const scratch = mkdtempSync(join(tmpdir(), "batou-e2e-"));
  let server: ReturnType<typeof Bun.serve>;
  let archive: Uint8Array;
  let cluster: Cluster | undefined;
  const pgPort = 30000 + (process.pid % 5000);
  beforeAll(() => {
    mkdirSync(join(scratch, "pg"));
    Bun.spawnSync(["chown", "postgres", join(scratch, "pg")]);
    Bun.spawnSync(["chmod", "755", scratch]);
    cluster = startCluster(join(scratch, "pg"), "postgres", pgPort);
    // an archive to download, a git repository to clone, a supervisord to run the service
    mkdirSync(join(scratch, "src/pkg/bin"), { recursive: true });
    writeFileSync(join(scratch, "src/pkg/bin/tool"), "#!/bin/sh\necho tool\n");
    sh("tar -czf pkg.tar.gz pkg && cd pkg && zip -qr ../pkg.zip .", join(scratch, "src"));
    archive = readFileSync(join(scratch, "src/pkg.tar.gz"));
    server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response(archive) });
    mkdirSync(join(scratch, "repo"));
    sh("git init -q -b main && echo hello > README && git add . && git commit -q -m init", join(scratch, "repo"));
    writeApp(join(scratch, "node-app"), packGreet(scratch, "1.0.0"), "npm");
    mkdirSync(join(scratch, "wheels"));
    wheel(join(scratch, "wheels"), "greeting", "1.0");
    wheel(join(scratch, "wheels"), "shout", "1.0", ["greeting"]);
    sh(`ssh-keygen -q -t ed25519 -N "" -C e2e -f ${join(scratch, "e2e-key")}`);
    mkdirSync(join(scratch, "hgrepo"));
    sh("hg init && echo hello > README && hg commit -q -A -u t -m init", join(scratch, "hgrepo"));
    mkdirSync(join(scratch, "sup/conf.d"), { recursive: true });
    const s = join(scratch, "sup");
    writeFileSync(
      join(s, "supervisord.conf"),
      `[unix_http_server]\nfile=${s}/sock\n[supervisord]\nlogfile=${s}/log\npidfile=${s}/pid\nchildlogdir=${s}\nuser=root\n` +
        `[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n` +
        `[supervisorctl]\nserverurl=unix://${s}/sock\n[include]\nfiles = ${s}/conf.d/*.conf\n`,
    );
    sh(`supervisord -c ${s}/supervisord.conf`);
    waitForSync(() => existsSync(join(s, "sock")), 5, "supervisord's socket");
    if (Bun.spawnSync(["id", USER]).exitCode !== 0) sh(`useradd --no-create-home --shell /usr/sbin/nologin ${USER}`);
    Bun.spawnSync(["crontab", "-u", USER, "-r"]);
  });
  afterAll(() => {
    cluster?.stop();
    server?.stop(true);
    const s = join(scratch, "sup");
    const pid = existsSync(join(s, "pid")) ? Number(readFileSync(join(s, "pid"), "utf8")) : 0;
    Bun.spawnSync(["supervisorctl", "-c", join(s, "supervisord.conf"), "shutdown"]);
    waitUntilSync(() => !pid || Bun.spawnSync(["kill", "-0", String(pid)]).exitCode !== 0, 5);
    Bun.spawnSync(["crontab", "-u", USER, "-r"]);
    rmSync(scratch, { recursive: true, force: true });
  });

  test("second deploy: changed 0", async () => {
    const sha = new Bun.CryptoHasher("sha256").update(archive).digest("hex");
    const sup = join(scratch, "sup");
    const source = sourceArchive(scratch, "1.0");
    const p = makeProject(
      {
        "components/app/component.ts": `import {
  Command, Component, CronJob, Directory, Download, Extract, File, GitClone, Group, JSONContent, Mode, Owner,
  Purge, Service, Symlink, YAMLContent, Htpasswd, Certificate, HTTPCheck,
  Mercurial, RotatedLogfile, AuthorizedKeys, KnownHost, KeyPair, Build, NodeApp,
  VirtualEnv, Requirements, Package, PostgresUser, PostgresDatabase, PostgresExtension,
} from "batou";

export class App extends Component {
  port = 8080;
  configure() {
    this.add(new Directory("static", { source: "static", exclude: ["*.bak"] }));
    this.add(new File("bin/server", { content: "#!/bin/sh\\nexec sleep 1000\\n", mode: 0o755, leadingDirs: true }));
    this.add(new Mode("bin", { mode: 0o755 }));
    this.add(new Owner("bin/server", { owner: "root" }));
    this.add(new Group("bin/server", { group: "root" }));
    this.add(new Symlink("server", { target: "bin/server" }));
    this.add(new JSONContent("config.json", { data: { port: this.port, name: "app" } }));
    this.add(new YAMLContent("config.yaml", { source: "defaults.yaml", data: { port: this.port } }));
    const download = this.add(new Download("http://127.0.0.1:${server.port}/pkg.tar.gz", { checksum: "sha256:${sha}" }));
    this.add(new Extract(download.target!, { target: "pkg", stripComponents: 1 }));
    this.add(new Extract(${JSON.stringify(join(scratch, "src/pkg.zip"))}, { target: "pkg-zip" }));
    this.add(new GitClone(${JSON.stringify(join(scratch, "repo"))}, { target: "checkout", branch: "main" }));
    this.add(new Command("echo ran >> command.log && touch initialized", { creates: "initialized" }));
    this.add(new Command("echo check > checked", { unless: "test -f checked" }));
    this.add(new Purge("*.tmp"));
    this.add(new CronJob("bin/server --once", { timing: "0 4 * * *" }));
    this.add(new Service("batou-e2e", {
      command: "bin/server",
      manager: "supervisor",
      supervisorConfDir: ${JSON.stringify(join(sup, "conf.d"))},
      supervisorctl: ${JSON.stringify(`supervisorctl -c ${join(sup, "supervisord.conf")}`)},
    }));
    this.add(new Htpasswd("htpasswd", { users: { alice: "e2e-pass" }, cost: 4 }));
    this.add(new Certificate("tls.crt", { commonName: "localhost", keyType: "ec:prime256v1" }));
    this.add(new Mercurial(${JSON.stringify(join(scratch, "hgrepo"))}, { target: "hg-checkout" }));
    this.add(new RotatedLogfile("var/log/*.log", { rotate: 3, postrotate: "true" }));
    const key = ${JSON.stringify(readFileSync(join(scratch, "e2e-key.pub"), "utf8").trim())};
    this.add(new AuthorizedKeys({ keys: [key], path: "ssh/authorized_keys" }));
    this.add(new KnownHost("git.example.com", { key, path: "ssh/known_hosts" }));
    this.add(new KeyPair("ssh/id_ed25519"));
    this.add(new Build(${JSON.stringify(source.path)}, { configure: "--greeting=e2e", make: "hello" }));
    this.add(new Directory("node-app", { source: ${JSON.stringify(join(scratch, "node-app"))}, exclude: ["node_modules"] }));
    this.add(new NodeApp("node-app"));
    const venv = this.add(new VirtualEnv("venv", { python: "${PYTHON}", noIndex: true, findLinks: [${JSON.stringify(join(scratch, "wheels"))}] }));
    venv.add(new Requirements("requirements.lock"));
    venv.add(new Package("greeting", { version: "1.0" }));
    const pg = { runAs: "postgres", pgHost: ${JSON.stringify(join(scratch, "pg"))}, pgPort: ${pgPort} };
    this.add(new PostgresUser("e2e", { password: "e2e-db-pass", ...pg }));
    this.add(new PostgresDatabase("e2e", { owner: "e2e", ...pg }));
    this.add(new PostgresExtension("pgcrypto", { database: "e2e", ...pg }));
    this.add(new HTTPCheck("http://127.0.0.1:${server.port}/pkg.tar.gz", { timeout: 10 }));
  }
}
`,
        "components/app/static/index.html": "<h1>hi</h1>\n",
        "components/app/static/old.bak": "no\n",
        "components/app/defaults.yaml": "workers: 2\n",
        "components/app/requirements.lock": "shout==1.0\n",
        "components/cron/component.ts": `import { Component, CronTab } from "batou";
export class Cron extends Component {
  configure() { this.add(new CronTab({ user: "${USER}" })); }
}
`,
        "components/logs/component.ts": `import { Component, Logrotate } from "batou";
export class Logs extends Component {
  configure() { this.add(new Logrotate()); }
}
`,
      },
      ["app", "cron", "logs"],
    );
    mkdirSync(p.work("app"), { recursive: true });
    writeFileSync(join(p.work("app"), "leftover.tmp"), "x");

    const predicted = await deploy(p, { predict: true });
    expect(predicted.errors).toEqual([]);
    expect(predicted.summary.ok).toBe(true);
    expect(existsSync(join(p.work("app"), "config.json"))).toBe(false);
    expect(existsSync(join(p.work("app"), "leftover.tmp"))).toBe(true);
    // nothing created by any component: no file, key, certificate, checkout, environment, role or crontab
    expect(readdirSync(p.work("app"))).toEqual(["leftover.tmp"]);
    expect(existsSync(p.work("logs"))).toBe(false);
    expect(cluster!.sql("SELECT count(*) FROM pg_roles WHERE rolname = 'e2e'")).toBe("0\n");
    expect(Bun.spawnSync(["crontab", "-u", USER, "-l"]).exitCode).not.toBe(0);

    const first = await deploy(p);
    expect(first.errors).toEqual([]);
    expect(first.summary.ok).toBe(true);
    expect(first.summary.changed).toBeGreaterThan(15);
    expect(readFileSync(join(p.work("app"), "pkg/bin/tool"), "utf8")).toContain("echo tool");
    expect(existsSync(join(p.work("app"), "pkg-zip/bin/tool"))).toBe(true);
    expect(readFileSync(join(p.work("app"), "checkout/README"), "utf8")).toBe("hello\n");
    expect(readFileSync(join(p.work("app"), "hg-checkout/README"), "utf8")).toBe("hello\n");
    expect(sh(join(p.work("app"), "bin/hello"))).toBe("e2e from 1.0\n");
    expect(existsSync(join(p.work("app"), "node-app/node_modules/greet/index.js"))).toBe(true);
    expect(cluster!.sql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'e2e'")).toBe("e2e\n");
    expect(sh(`${join(p.work("app"), "venv/bin/python")} -c "import greeting; print(greeting.VALUE)"`)).toBe("greeting 1.0\n");
    expect(sh(`${join(p.work("app"), "venv/bin/python")} -c "import shout; print(shout.VALUE)"`)).toBe("shout 1.0\n");
    expect(sh(`crontab -u ${USER} -l`)).toContain(`45 2 * * * /usr/sbin/logrotate -s ${join(p.work("logs"), "logrotate.state")}`);
    expect(existsSync(join(p.work("app"), "leftover.tmp"))).toBe(false);
    expect(sh(`crontab -u ${USER} -l`)).toContain("0 4 * * * bin/server --once");
    expect(sh(`supervisorctl -c ${join(sup, "supervisord.conf")} status batou-e2e`)).toContain("RUNNING");

    const second = await deploy(p);
    expect(second.errors).toEqual([]);
    expect(second.changed).toEqual([]);
    expect(second.summary.changed).toBe(0);
    expect(second.summary.ok).toBe(true);
    expect(readFileSync(join(p.work("app"), "command.log"), "utf8")).toBe("ran\n");
  });
});
