/**
 * The poison test over SSH (tests/testbed): after deploys to a test host the
 * sentinel secret may exist only in the files the component writes there.
 * The host's whole private root is scanned from the outside; the shipped
 * project on the host has no `*.nacl`; no run's stdout or stderr shows it;
 * the local project holds it in no file (remote deploys write no local work/).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { RunResult } from "../helpers/project.ts";
import { startTestbed, type Testbed, testbedAvailability } from "../testbed/testbed.ts";
import { lockSecrets } from "../../lib/secrets/edit-lock.ts";
import { filesContaining, outputsContaining, sandbox, secretsProject } from "./deploy-helpers.ts";
import { SSH_CLIENTS, sshClientSetting } from "../remote/remote-helpers.ts";

const bed = testbedAvailability();
const HOST = "host2";

const APP = `import { Component, File, UpdateNeeded } from "batou";

export class App extends Component {
  password = "";
  port = 80;
  fail = false;

  configure() {
    this.add(new File("plain.conf", { content: \`password=\${this.password}\\ndb=\${this.host.data.dbpass}\\n\` }));
    this.add(new File("templated.conf", { source: "templated.conf.j2" }));
    this.add(new File("key.pem", { content: this.environment.secretFiles["app.key"], sensitive: true }));
  }

  async verify() {
    if (this.fail) throw new UpdateNeeded();
    this.assertNoSubcomponentChanges();
  }

  async update() {
    if (this.fail) await this.cmd(\`echo "connecting with \${this.password}"; echo "db \${this.host.data.dbpass} refused" >&2; exit 3\`);
  }
}
`;

for (const client of SSH_CLIENTS) describe.skipIf(!bed.ok)(`the poison test over SSH (${client})`, () => {
  const SENTINEL = `POISON-${crypto.randomUUID().replaceAll("-", "")}`;
  const TARGET = `t-poison-${client}-${process.pid}`;
  const secretsToml = (password: string, extra = "") =>
    `[components.app]\npassword = "${password}"\n${extra}\n[hosts.${HOST}.data]\ndbpass = "${SENTINEL}-db"\n`;
  let tb: Testbed;
  const box = sandbox("batou-poison-remote-");
  afterAll(() => {
    box.cleanup();
    if (tb) rmSync(join(tb.roots[HOST]!, "home", tb.user, TARGET), { recursive: true, force: true }); // it holds a shipped executable
  });
  let project: ReturnType<typeof secretsProject>;
  const runs: Record<string, RunResult> = {};
  const env = (components = "") =>
    `[environment]\ntarget_directory = "${TARGET}"\ntimeout = 90\n${sshClientSetting(client)}\n\n[hosts.${HOST}]\ncomponents = ["app"]\n` +
    (components ? `\n[components.app]\n${components}\n` : "");
  const deployed = (path: string) => join(tb.roots[HOST]!, "home", tb.user, TARGET, path);
  // Share the executable build cache: a private HOME would rebuild batou for the host.
  const cache = { XDG_CACHE_HOME: process.env.XDG_CACHE_HOME || join(homedir(), ".cache") };
  const run = (label: string, args: string[], code: number) => {
    const result = project.batou(args, { env: cache });
    runs[label] = result;
    if (result.code !== code) throw new Error(`${label}: exit ${result.code}, expected ${code}:\n${result.output}`);
    return result;
  };

  beforeAll(async () => {
    tb = await startTestbed(3);
    project = secretsProject(
      box,
      {
        ssh_config: readFileSync(tb.sshConfig, "utf8"),
        "environments/remote/environment.toml": env(),
        "components/app/component.ts": APP,
        "components/app/templated.conf.j2": "password={{ component.password }}\ndb={{ host.data.dbpass }}\n",
      },
      "remote",
    );
    project.seal(null, secretsToml(`${SENTINEL}-pw`));
    project.seal("app.key", `-----BEGIN KEY-----\n${SENTINEL}-file\n-----END KEY-----\n`);
  }, 120_000);

  test("deploy, predict, --json, --debug and failures leave the sentinel only in the written files", () => {
    const first = run("deploy", ["deploy", "remote"], 0);
    expect(first.stdout).toContain("not showing the diff: it contains a secret value");
    expect(readFileSync(deployed("work/app/plain.conf"), "utf8")).toContain(`${SENTINEL}-pw`);
    expect(readFileSync(deployed("work/app/key.pem"), "utf8")).toContain(`${SENTINEL}-file`);
    run("redeploy json debug", ["deploy", "remote", "--json", "-d"], 0);

    project.seal(null, secretsToml(`${SENTINEL}-pw2`));
    const predicted = run("predict debug", ["deploy", "remote", "-P", "-d"], 0);
    expect(predicted.stdout).toContain("not showing the diff: it contains a secret value");
    run("predict json", ["deploy", "remote", "-P", "--json"], 0);
    run("deploy changed", ["deploy", "remote", "-d"], 0);
    expect(readFileSync(deployed("work/app/plain.conf"), "utf8")).toContain(`${SENTINEL}-pw2`);

    project.write("environments/remote/environment.toml", env("fail = true"));
    for (const [label, flags] of [["failing", []], ["failing debug json", ["-d", "--json"]]] as const) {
      const result = run(label, ["deploy", "remote", ...flags], 1);
      expect(result.output).toContain("command failed with exit code 3");
      expect(result.output).toContain("connecting with <secret>");
      expect(result.output).toContain("db <secret> refused");
    }
    project.write("environments/remote/environment.toml", env());
    project.seal(null, secretsToml(`${SENTINEL}-pw2`, `port = "${SENTINEL}-port"`));
    const wrong = run("wrong type", ["deploy", "remote", "-d"], 1);
    expect(wrong.output).toContain("override of the wrong type: expected number, got string");
    project.seal(null, secretsToml(`${SENTINEL}-pw2`));

    expect(outputsContaining(runs, SENTINEL)).toEqual([]);
    // On the host: only the component's files, anywhere in its root (homes, /tmp, /var/tmp, logs).
    const root = tb.roots[HOST]!;
    const written = ["key.pem", "plain.conf", "templated.conf"].map((f) => join("home", tb.user, TARGET, "work/app", f));
    expect(filesContaining(root, SENTINEL)).toEqual(written.sort());
    // The shipped project has no sealed files (and no recipients are needed there either).
    expect(existsSync(deployed("environments/remote/environment.toml"))).toBe(true);
    expect([...new Bun.Glob("**/*.nacl").scanSync({ cwd: deployed(""), dot: true })]).toEqual([]);
    expect(existsSync(deployed("environments/remote/secrets.toml.nacl"))).toBe(false);
    expect(existsSync(deployed("environments/remote/secret-app.key.nacl"))).toBe(false);
    // On the deploying machine: nowhere (remote deploys have no local work/).
    expect(filesContaining(project.dir, SENTINEL)).toEqual([]);
    expect(filesContaining(box.home, SENTINEL)).toEqual([]);
    expect(filesContaining(box.tmp, SENTINEL)).toEqual([]);
  }, 600_000);

  test("a deploy while `secrets edit` runs warns, and the edit lock is not shipped", () => {
    const lock = lockSecrets(join(project.dir, "environments", "remote"), "batou secrets edit remote");
    try {
      const result = run("deploy while editing", ["deploy", "remote"], 0);
      expect(result.stderr).toContain("WARN: the secrets of environments/remote are being edited by ");
      expect(result.stderr).toContain('"batou secrets edit remote"');
    } finally {
      lock.release();
    }
    expect(existsSync(deployed("environments/remote/environment.toml"))).toBe(true);
    expect(existsSync(deployed("environments/remote/.secrets.lock"))).toBe(false);
  }, 120_000);
});

