/**
 * `batou migrate-python` on a batou 2.x project written in batou's formats
 * (tests/migrate/fixture.ts): secrets sealed by the real `age` (to an ssh-ed25519,
 * an ssh-rsa and an age X25519 key made here) and by the real `gpg` (a key made in
 * a throw-away GNUPGHOME); then the migrated TOML loads, `deploy -c` passes, the
 * secrets open with the test's identity and equal the cleartext, and `local` deploys.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { parse } from "smol-toml";
import { migrateProject } from "../../lib/migrate/project.ts";
import { loadSecrets } from "../../lib/secrets/store.ts";
import { loadIdentity } from "../../lib/secrets/identities.ts";
import { RUNNERS, runBatou, tempProject, type TempProject } from "../helpers/project.ts";
import { batouProject, secretsCfg, SSH_CONFIG, SSH_CONFIG_PROD } from "./fixture.ts";

setDefaultTimeout(120_000);

const hasGpg = spawnSync("gpg", ["--version"], { stdio: "ignore" }).status === 0;

let keys: string;
let gnupg: string;
let project: TempProject;
const env = (extra: Record<string, string> = {}) => ({ HOME: keys, BATOU_AGE_IDENTITIES: join(keys, "id_ed25519"), BATOU_IDENTITY: join(keys, "id_ed25519"), GNUPGHOME: gnupg, ...extra });

function run(command: string, args: string[], input?: string, extraEnv: Record<string, string> = {}): string {
  return execFileSync(command, args, { input, encoding: "utf8", env: { ...process.env, ...extraEnv }, stdio: ["pipe", "pipe", "pipe"] });
}

/** Encrypts `cleartext` with the real age binary to the test's three keys. */
function ageEncrypt(cleartext: string, target: string): void {
  const recipients = [readFileSync(join(keys, "id_ed25519.pub"), "utf8").trim(), readFileSync(join(keys, "id_rsa.pub"), "utf8").trim(), ageRecipient()];
  run("age", [...recipients.flatMap((r) => ["-r", r]), "-o", target], cleartext);
}

function ageRecipient(): string {
  return /public key: (age1\S+)/.exec(readFileSync(join(keys, "age.key"), "utf8"))![1];
}

beforeAll(() => {
  keys = mkdtempSync(join(tmpdir(), "batou-migrate-keys-"));
  gnupg = mkdtempSync(join(tmpdir(), "batou-migrate-gnupg-"));
  run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "tester@migrate", "-f", join(keys, "id_ed25519")]);
  run("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-C", "rsa@migrate", "-f", join(keys, "id_rsa")]);
  run("age-keygen", ["-o", join(keys, "age.key")]);
  project = tempProject(batouProject());
  const ed = readFileSync(join(keys, "id_ed25519.pub"), "utf8").trim();
  const rsa = readFileSync(join(keys, "id_rsa.pub"), "utf8").trim();
  ageEncrypt(secretsCfg([ed, rsa, ageRecipient()], "age"), join(project.dir, "environments/prod/secrets.cfg.age"));
  ageEncrypt("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", join(project.dir, "environments/prod/secret-cert.pem.age"));
  if (hasGpg) {
    run("gpg", ["--batch", "--passphrase", "", "--quick-gen-key", "staging@migrate.invalid", "default", "default", "never"], undefined, { GNUPGHOME: gnupg });
    run("gpg", ["--batch", "--yes", "--trust-model", "always", "-r", "staging@migrate.invalid", "-o", join(project.dir, "environments/staging/secrets.cfg.gpg"), "--encrypt"], secretsCfg(["staging@migrate.invalid", ed], "gpg"), { GNUPGHOME: gnupg });
  }
});

afterAll(() => {
  if (hasGpg) spawnSync("gpgconf", ["--kill", "gpg-agent"], { env: { ...process.env, GNUPGHOME: gnupg } });
  project?.cleanup();
  rmSync(keys, { recursive: true, force: true });
  rmSync(gnupg, { recursive: true, force: true });
});

/** What a deployment left in work/, as tests/migrate/expected/regenerate.ts records Python batou's. */
function workManifest(work: string): Record<string, unknown> {
  const files: Record<string, unknown> = {};
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const path = join(dir, entry);
      const rel = relative(work, path);
      if (rel.startsWith(".batou")) continue;
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) files[rel] = { symlink: relative(dir, resolve(dir, readlinkSync(path))) };
      else if (stat.isDirectory()) {
        files[rel] = { directory: true };
        visit(path);
      } else files[rel] = { content: readFileSync(path, "utf8"), mode: (stat.mode & 0o777).toString(8) };
    }
  };
  visit(work);
  return files;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe("migrate-python", () => {
  test("--dry-run writes nothing and reports what it would write", async () => {
    const before = filesUnder(project.dir).sort();
    const report = await migrateProject({ project: project.dir, dryRun: true, env: env() });
    expect(filesUnder(project.dir).sort()).toEqual(before);
    const outputs = report.files.flatMap((f) => f.outputs);
    expect(outputs).toContain("environments/prod/environment.toml");
    expect(outputs).toContain("components/app/component.ts");
    expect(outputs).toContain("environments/prod/secrets.toml.nacl");
  });

  describe("a migrated project", () => {
    let report: Awaited<ReturnType<typeof migrateProject>>;
    let out: string;
    beforeAll(async () => {
      out = mkdtempSync(join(tmpdir(), "batou-migrate-out-"));
      report = await migrateProject({ project: project.dir, out, env: env() });
    });
    afterAll(() => rmSync(out, { recursive: true, force: true }));

    test("the environments are TOML the loader reads, with batou's meaning", () => {
      const prod = parse(readFileSync(join(out, "environments/prod/environment.toml"), "utf8")) as any;
      expect(prod.environment).toMatchObject({ host_domain: "example.com", service_user: "app", target_directory: "deployment", branch: "main", require_v4: true, require_v6: "optional", jobs: 2, platform: "example.com" });
      expect(prod.environment.update_method).toBeUndefined();
      expect(prod.hosts.web1.components).toEqual(["app", "database"]);
      expect(prod.hosts.web2).toMatchObject({ components: ["app", "database"], ignore: true });
      expect(prod.hosts.web3).toMatchObject({ components: ["app", "replica"], platform: "debian", service_user: "www", ignore: true, data: { role: "replica" } });
      expect(prod.components.app).toEqual({ port: 9091, debug: false, greeting: "Hi there # not a comment for configparser" });
      expect(prod.resolver).toEqual({ localhost: ["127.0.0.1", "::1"] });
      expect((parse(readFileSync(join(out, "environments/local/environment.toml"), "utf8")) as any).resolver).toEqual({ localhost: "127.0.0.1" });
      expect(prod.vfs).toEqual({ sandbox: "Developer" });
      const local = parse(readFileSync(join(out, "environments/local/environment.toml"), "utf8")) as any;
      expect(local.components.app).toEqual({ port: 9090, workers: 4, debug: true, hosts: ["a.example.com", "b.example.com"], limits: { cpu: 2, mem: 512 }, ratio: 2 });
      expect(local.environment.timeout).toBeUndefined();
      const text = readFileSync(join(out, "environments/local/environment.toml"), "utf8");
      expect(text).toContain("# This machine\n[environment]");
      expect(text).toContain("# what runs here\ncomponents = ");
    });

    test("ssh_config_<env> and ssh_config are copied as they are, and the report says which environments use them", () => {
      expect(readFileSync(join(out, "ssh_config_prod"), "utf8")).toBe(SSH_CONFIG_PROD);
      expect(readFileSync(join(out, "ssh_config"), "utf8")).toBe(SSH_CONFIG);
      const prod = report.files.find((f) => f.source === "ssh_config_prod")!;
      expect(prod).toEqual({ source: "ssh_config_prod", outputs: ["ssh_config_prod"], converted: ["used as it is for environment prod"], hand: [] });
      expect(report.files.find((f) => f.source === "ssh_config")!.converted).toEqual(["used as it is for every environment without its own ssh_config_<env>"]);
    });

    test("deploy -c passes for every environment", () => {
      for (const name of ["local", "prod", ...(hasGpg ? ["staging"] : [])]) {
        const result = runBatou(RUNNERS[0], ["deploy", name, "-c", "--dirty"], out, env());
        expect(result.output).toContain("are consistent");
        expect(result.code).toBe(0);
      }
    });

    test("the secrets open with the test's identity and equal the cleartext", async () => {
      const identity = loadIdentity(join(keys, "id_ed25519"));
      const secrets = await loadSecrets(out, "prod", [identity]);
      expect(secrets.components.app).toEqual({ password: "s3cret-value", workers: 7 });
      expect(secrets.hosts.web1?.data).toEqual({ token: "t0ken-value" });
      expect(secrets.files["cert.pem"]).toBe("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
      const recipients = readFileSync(join(out, "environments/prod/recipients"), "utf8");
      expect(recipients).toContain(readFileSync(join(keys, "id_ed25519.pub"), "utf8").trim().split(" ").slice(0, 2).join(" "));
      expect(recipients).not.toContain("ssh-rsa");
      if (hasGpg) expect((await loadSecrets(out, "staging", [identity])).components.app?.password).toBe("s3cret-value");
    });

    test("recipients that cannot carry over are listed with what to do", () => {
      const secrets = report.files.find((f) => f.source === "environments/prod/secrets.cfg.age")!;
      expect(secrets.hand.some((h) => h.includes("ssh-rsa key cannot be a recipient here") && h.includes("batou secrets add"))).toBe(true);
      expect(secrets.hand.some((h) => h.includes(`member ${ageRecipient()}`))).toBe(true);
      if (hasGpg) {
        const staging = report.files.find((f) => f.source === "environments/staging/secrets.cfg.gpg")!;
        expect(staging.hand.some((h) => h.startsWith("GnuPG recipient staging@migrate.invalid"))).toBe(true);
      }
    });

    test("no cleartext secret is written anywhere, and the report names no secret value", () => {
      for (const file of [...filesUnder(out), ...filesUnder(project.dir)]) {
        const text = readFileSync(file, "latin1");
        expect(text.includes("s3cret-value") || text.includes("t0ken-value")).toBe(false);
      }
      expect(JSON.stringify(report)).not.toContain("s3cret-value");
    });

    test("component skeletons keep classes, attributes and the translated statements; the rest is a TODO", () => {
      const app = readFileSync(join(out, "components/app/component.ts"), "utf8");
      expect(app).toContain('import { Address, CommandError, Component, Directory, File, Symlink, attribute } from "batou";');
      expect(app).toContain('port = attribute("integer", { default: 8080 });');
      expect(app).toContain('workers = attribute("integer", { defaultText: "2" });');
      expect(app).toContain('hosts = attribute("list", { default: [] as string[] });');
      expect(app).toContain("address = attribute(Address, { defaultText: \"localhost:8080\" });");
      expect(app).toContain('this.add(new File("app.conf", { source: "app.conf" }));');
      expect(app).toContain('this.add(new Symlink("current.conf", { target: "app.conf" }));');
      expect(app).toContain('this.database = this.requireOne("database", { host: this.host });');
      expect(app).toContain('this.on("before-update", (trigger) => this.announce(trigger), { scope: "*" });');
      expect(app).toContain('ratio = attribute("float", { default: 1.5 });');
      expect(app).toContain('this.add(new File("banner", { content: this.expand("=".repeat((4 * 5)) + "\\n") }));');
      // try/except/else: the class batou's error has here, anything else thrown again, else when nothing was caught
      expect(app).toContain(
        [
          "    let errorCaught = false;",
          "    try {",
          '      await this.cmd("test -f missing-marker");',
          "    } catch (error) {",
          "      errorCaught = true;",
          "      if (error instanceof CommandError) {",
          '        await this.cmd("touch checked");',
          "      } else {",
          "        throw error;",
          "      }",
          "    }",
          "    if (!errorCaught) {",
          '      await this.cmd("touch unexpected");',
          "    }",
        ].join("\n"),
      );
      expect(app).toContain("    // logs first\n    this.add(new Directory(\"logs\"));");
      const db = readFileSync(join(out, "components/database/component.ts"), "utf8");
      expect(db).toContain('this.add(new File("db.conf", { content: this.expand("name={{component.name}}\\n"), mode: 0o600 }));');
      expect(db).toContain("export class Replica extends Database {");
      expect(readFileSync(join(out, "components/app/app.conf"), "utf8")).toBe(batouProject()["components/app/app.conf"]);
      const appReport = report.files.find((f) => f.source === "components/app/component.py")!;
      expect(appReport.hand).toEqual([]);
      expect(report.next).toContain(`cd ${relative(process.cwd(), out)} && bun batou.ts deploy prod -c`);
    });

    test("a migrated project deploys locally", () => {
      const result = runBatou(RUNNERS[0], ["deploy", "local"], out, env());
      expect(result.code).toBe(0);
      const work = join(out, "work");
      expect(readFileSync(join(work, "app/motd"), "utf8")).toBe("Welcome to localhost, port 9090\n");
      expect(readFileSync(join(work, "database/db.conf"), "utf8")).toBe("name=appdb\n");
      expect(statSync(join(work, "database/db.conf")).mode & 0o777).toBe(0o600);
      expect(existsSync(join(work, "app/logs"))).toBe(true);
      // what Python batou wrote for the same project (tests/migrate/expected/regenerate.ts)
      const expected = JSON.parse(readFileSync(join(import.meta.dir, "expected/local.json"), "utf8")).files;
      expect(workManifest(work)).toEqual(expected);
    });

    test("a second run keeps what exists and says so", async () => {
      writeFileSync(join(out, "components/app/component.ts"), "// edited by hand\n");
      const again = await migrateProject({ project: project.dir, out, env: env() });
      expect(readFileSync(join(out, "components/app/component.ts"), "utf8")).toBe("// edited by hand\n");
      expect(again.files.find((f) => f.source === "components/app/component.py")!.hand).toContain("components/app/component.ts exists already; kept (remove it to migrate it again)");
    });
  });

  test("try blocks: batou's errors are caught by their counterparts, anything else thrown again; Python's own errors and an untranslated body stay Python", async () => {
    const py = `from batou import UpdateNeeded
from batou.component import Component
from batou.utils import CmdExecutionError


class Probe(Component):

    def verify(self):
        try:
            out, err = self.cmd("cat version")
        except CmdExecutionError as e:
            self.log("exit " + e.returncode)
            raise
        except Exception:
            raise UpdateNeeded()
        if out == "1":
            return
        raise UpdateNeeded()

    def update(self):
        try:
            self.cmd("make")
        finally:
            self.log("done")
        try:
            int("x")
        except ValueError:
            pass
        try:
            self.cmd("true")
            open("x")
        except Exception:
            pass
`;
    using probe = tempProject({ "components/probe/component.py": py, "environments/local.cfg": "[environment]\nconnect_method = local\n[hosts]\nlocalhost = probe\n" });
    const report = await migrateProject({ project: probe.dir, dryRun: false, env: env() });
    const ts = readFileSync(join(probe.dir, "components/probe/component.ts"), "utf8");
    expect(ts).toContain(
      [
        "    let out, err;",
        "    try {",
        '      ({ stdout: out, stderr: err } = await this.cmd("cat version"));',
        "    } catch (error) {",
        "      if (error instanceof CommandError) {",
        "        const e = error;",
        '        this.log("exit " + e.exitCode);',
        "        throw error;",
        "      } else {",
        "        throw new UpdateNeeded();",
        "      }",
        "    }",
        '    if (out === "1") {',
      ].join("\n"),
    );
    expect(ts).toContain(['    try {', '      await this.cmd("make");', "    } finally {", '      this.log("done");', "    }"].join("\n"));
    const hand = report.files.find((f) => f.source === "components/probe/component.py")!.hand;
    expect(hand).toEqual([
      "line 25: Probe.update: no counterpart for except ValueError here (JavaScript does not throw Python's errors): try: …",
      "line 29: Probe.update: no translation for a statement inside this try: try: …",
    ]);
    expect(ts).toContain("    // TODO(migrate): no translation for a statement inside this try\n    //         try:\n    //             self.cmd(\"true\")\n    //             open(\"x\")");
    expect(ts).not.toContain('await this.cmd("true")');
  });

  test("Directory and SyncDirectory with a source keep files that are not in it, as batou's did", async () => {
    const py = `from batou.component import Component
from batou.lib.file import Directory, SyncDirectory


class Site(Component):

    def configure(self):
        self += Directory("logs")
        self += Directory("htdocs", source="static", exclude=("*.map",))
        self += SyncDirectory("mysite", source="mysite")
`;
    using site = tempProject({
      "components/site/component.py": py,
      "components/site/static/index.html": "hi\n",
      "components/site/mysite/manage.py": "\n",
      "environments/local.cfg": "[environment]\nconnect_method = local\n[hosts]\nlocalhost = site\n",
    });
    const report = await migrateProject({ project: site.dir, dryRun: false, env: env() });
    const ts = readFileSync(join(site.dir, "components/site/component.ts"), "utf8");
    expect(ts).toContain('    this.add(new Directory("logs"));\n');
    expect(ts).toContain('    this.add(new Directory("htdocs", { source: "static", exclude: ["*.map"], deleteExtraneous: false }));\n');
    expect(ts).toContain('    this.add(new Directory("mysite", { source: "mysite", deleteExtraneous: false }));\n');
    expect(report.files.find((f) => f.source === "components/site/component.py")!.hand).toEqual([]);
  });

  test("AppEnv: a VirtualEnv with the requirements.lock beside component.py, its bin, lib and pyvenv.cfg linked into the workdir", async () => {
    const py = `from batou.component import Component
from batou.lib.appenv import AppEnv


class App(Component):

    python = "3.11"

    def configure(self):
        self += AppEnv("3.11")
        self += AppEnv(self.python)
        self += AppEnv("3.11", pip_version="23.0")
`;
    using app = tempProject({
      "components/app/component.py": py,
      "components/app/requirements.lock": "\n",
      "environments/local.cfg": "[environment]\nconnect_method = local\n[hosts]\nlocalhost = app\n",
    });
    const report = await migrateProject({ project: app.dir, dryRun: false, env: env() });
    const ts = readFileSync(join(app.dir, "components/app/component.ts"), "utf8");
    const appenv = (python: string) =>
      [
        `    this.add(new VirtualEnv(".appenv/env", { python: ${python} })).add(new Requirements("requirements.lock"));`,
        '    for (const name of ["bin", "lib", "pyvenv.cfg"]) this.add(new Symlink(name, { target: `.appenv/env/${name}` }));',
      ].join("\n");
    expect(ts).toContain(`${appenv('"python3.11"')}\n${appenv("`python${this.python}`")}\n`);
    expect(ts).toContain('import { Component, Requirements, Symlink, VirtualEnv } from "batou";');
    expect(report.files.find((f) => f.source === "components/app/component.py")!.hand).toEqual([
      'line 12: App.configure: no counterpart for this sub-component: self += AppEnv("3.11", pip_version="23.0")',
    ]);

    // deployed: the workdir's bin/python is the environment's, as with AppEnv
    using one = tempProject({
      "components/app/component.py": "from batou.component import Component\nfrom batou.lib.appenv import AppEnv\n\n\nclass App(Component):\n    def configure(self):\n        self += AppEnv(\"3\")\n",
      "components/app/requirements.lock": "# nothing pinned\n",
      "environments/local.cfg": "[environment]\nconnect_method = local\n[hosts]\nlocalhost = app\n",
    });
    await migrateProject({ project: one.dir, dryRun: false, env: env() });
    const deployed = runBatou(RUNNERS[0], ["deploy", "local"], one.dir, env());
    expect(deployed.stderr).toBe("");
    expect(deployed.code).toBe(0);
    const python = join(one.dir, "work/app/bin/python");
    // the workdir itself is the environment (its pyvenv.cfg), as AppEnv's "pseudo virtualenv"
    expect(spawnSync(python, ["-c", "import sys; print(sys.prefix != sys.base_prefix, sys.prefix)"], { encoding: "utf8" }).stdout).toBe(`True ${join(one.dir, "work/app")}\n`);
    expect(readlinkSync(join(one.dir, "work/app/.appenv/env"))).toStartWith(".env.envs/");
    expect(runBatou(RUNNERS[0], ["deploy", "local"], one.dir, env()).stdout).toContain("Deployment finished: 0 changed component(s)");
  });

  test("members given as https:// URLs: from age_keys.txt, or fetched again with --fetch-keys (a loopback HTTPS server)", async () => {
    const tls = mkdtempSync(join(tmpdir(), "batou-migrate-tls-"));
    run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", join(tls, "key.pem"), "-out", join(tls, "cert.pem"), "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"]);
    run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "alice@keys", "-f", join(tls, "alice")]);
    const alice = readFileSync(join(tls, "alice.pub"), "utf8").trim();
    const rsa = readFileSync(join(keys, "id_rsa.pub"), "utf8").trim();
    const served: string[] = [];
    const server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      tls: { cert: readFileSync(join(tls, "cert.pem"), "utf8"), key: readFileSync(join(tls, "key.pem"), "utf8") },
      fetch: (request) => {
        const path = new URL(request.url).pathname;
        served.push(path);
        return path === "/alice.keys" ? new Response(`${alice}\n${rsa}\n`) : new Response("not found", { status: 404 });
      },
    });
    const members = [`https://127.0.0.1:${server.port}/alice.keys`, `https://127.0.0.1:${server.port}/gone.keys`];
    using team = tempProject({
      "components/app/component.py": "from batou.component import Component\n\n\nclass App(Component):\n    password = None\n",
      "environments/team/environment.cfg": "[environment]\nconnect_method = local\n[hosts]\nlocalhost = app\n",
    });
    // the one migrating is a member by key (only a recipient can seal)
    const own = readFileSync(join(keys, "id_ed25519.pub"), "utf8").trim();
    const cfg = `[batou]\nmembers = ${[own, ...members].join(",\n    ")}\nsecret_provider = age\n\n[component:app]\npassword = fetched-s3cret\n`;
    run("age", ["-r", readFileSync(join(keys, "id_ed25519.pub"), "utf8").trim(), "-o", join(team.dir, "environments/team/secrets.cfg.age")], cfg);
    try {
      // without --fetch-keys, and with no age_keys.txt: nothing is fetched, the report says how
      const offline = await migrateProject({ project: team.dir, dryRun: true, env: env() });
      const offlineHand = offline.files.find((f) => f.source === "environments/team/secrets.cfg.age")!.hand;
      expect(offlineHand).toContain(`${members[0]}: its keys are not in age_keys.txt; run again with --fetch-keys to fetch them`);
      expect(served).toEqual([]);

      const cli = Bun.spawn([...RUNNERS[0].argv, "migrate-python", "--fetch-keys", "--json"], {
        cwd: team.dir,
        env: { ...process.env, ...env(), NO_COLOR: "1", NODE_EXTRA_CA_CERTS: join(tls, "cert.pem") },
        stdout: "pipe",
        stderr: "pipe",
      });
      const [stdout, stderr, code] = await Promise.all([new Response(cli.stdout).text(), new Response(cli.stderr).text(), cli.exited]);
      expect(stderr).toBe("");
      expect(code).toBe(0);
      expect(served.sort()).toEqual(["/alice.keys", "/gone.keys"]);
      const file = (JSON.parse(stdout).files as { source: string; converted: string[]; hand: string[] }[]).find((f) => f.source === "environments/team/secrets.cfg.age")!;
      expect(file.converted).toContain(`fetched the keys of ${members[0]}`);
      expect(file.hand).toEqual([
        `key from ${members[0]}: a ssh-rsa key cannot be a recipient here (only ssh-ed25519 and batou keys); its owner makes one (ssh-keygen -t ed25519, or batou secrets keygen) and a recipient runs batou secrets add '<public key>'`,
        `${members[1]}: cannot fetch it (HTTP 404)`,
      ]);
      expect(readFileSync(join(team.dir, "environments/team/recipients"), "utf8")).toContain(alice.split(" ").slice(0, 2).join(" "));
      expect(stdout).not.toContain("fetched-s3cret");
    } finally {
      server.stop(true);
      rmSync(tls, { recursive: true, force: true });
    }
  });

  test("age files open with an ssh-rsa identity and with an age X25519 identity", async () => {
    for (const identity of ["id_rsa", "age.key"]) {
      const out = mkdtempSync(join(tmpdir(), "batou-migrate-id-"));
      try {
        const report = await migrateProject({ project: project.dir, out, env: env({ BATOU_AGE_IDENTITIES: join(keys, identity) }) });
        const secrets = report.files.find((f) => f.source === "environments/prod/secrets.cfg.age")!;
        expect(secrets.hand.filter((h) => h.includes("cannot decrypt"))).toEqual([]);
        expect((await loadSecrets(out, "prod", [loadIdentity(join(keys, "id_ed25519"))])).components.app?.password).toBe("s3cret-value");
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    }
  });

  test("without a matching identity the secrets are reported, and nothing is sealed", async () => {
    const other = mkdtempSync(join(tmpdir(), "batou-migrate-other-"));
    const out = mkdtempSync(join(tmpdir(), "batou-migrate-out-"));
    try {
      run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(other, "id_ed25519")]);
      const report = await migrateProject({ project: project.dir, out, env: env({ BATOU_AGE_IDENTITIES: join(other, "id_ed25519"), BATOU_IDENTITY: join(other, "id_ed25519") }) });
      const secrets = report.files.find((f) => f.source === "environments/prod/secrets.cfg.age")!;
      expect(secrets.hand.join("\n")).toContain("cannot decrypt it with your identities");
      expect(existsSync(join(out, "environments/prod/secrets.toml.nacl"))).toBe(false);
      expect(existsSync(join(out, "environments/prod/environment.toml"))).toBe(true);
    } finally {
      rmSync(other, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    }
  });

  test("the CLI prints the report as text and as JSON", () => {
    const text = runBatou(RUNNERS[0], ["migrate-python", project.dir, "--dry-run"], project.dir, env());
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("environments/prod/environment.cfg → environments/prod/environment.toml");
    expect(text.stdout).toContain("next: bun batou.ts deploy local -c");
    const json = runBatou(RUNNERS[0], ["migrate-python", "--dry-run", "--json"], project.dir, env());
    expect(JSON.parse(json.stdout).files.length).toBeGreaterThan(3);
    const bad = runBatou(RUNNERS[0], ["migrate-python", "--bogus"], project.dir);
    expect(bad.code).toBe(2);
  });

  test("a folder that is no batou project is a clean error; without Python the components need a hand", () => {
    const empty = mkdtempSync(join(tmpdir(), "batou-migrate-empty-"));
    try {
      const none = runBatou(RUNNERS[0], ["migrate-python", empty], project.dir);
      expect(none.code).toBe(1);
      expect(none.stderr).toContain("ERROR: cannot migrate: no batou project here (neither environments/ nor components/)");
      expect(none.stderr).toContain(`directory: ${empty}`);
      const noPython = runBatou(RUNNERS[0], ["migrate-python", project.dir, "--dry-run"], project.dir, env({ BATOU_MIGRATE_PYTHON: join(empty, "python3") }));
      expect(noPython.code).toBe(0);
      expect(noPython.stdout).toContain(`cannot read the component.py files: ${join(empty, "python3")} does not run`);
      expect(noPython.stdout).toContain("set BATOU_MIGRATE_PYTHON to a Python 3 interpreter; this component was not migrated");
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
