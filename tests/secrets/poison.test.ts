/**
 * The poison test: a sentinel secret (an override, host data and a secret
 * file) is deployed through every kind of run (deploy, redeploy, predict with
 * a diff, --json, --debug, a failing command, a throwing configure(), a
 * template error, a wrong-type override, a consistency check). Afterwards the
 * sentinel may exist only in the files the component writes on purpose:
 * never in any run's stdout or stderr, nowhere else in the project (work/
 * included), nowhere in HOME or any temp dir. Positive controls prove the
 * scanners do find the sentinel when it is really there.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunResult } from "../helpers/project.ts";
import { TESTBED_DIR } from "../testbed/testbed.ts";
import { filesContaining, localEnv, outputsContaining, sandbox, secretsProject } from "./deploy-helpers.ts";

const started = Date.now();
const box = sandbox("batou-poison-");
afterAll(() => box.cleanup());

const SENTINEL = `POISON-${crypto.randomUUID().replaceAll("-", "")}`;
const MASK = "<secret>";

const APP = `import { Component, File, UpdateNeeded } from "batou";

export class App extends Component {
  password = "";
  port = 80;
  label = "";
  fail = false;
  throwIt = false;
  brokenTemplate = false;
  logIt = false;

  configure() {
    if (this.throwIt) throw new Error(\`cannot use \${this.password}\`);
    if (this.logIt) this.log(\`the password is \${this.password}\`);
    // Plain files: only the "contains a secret value" diff suppression protects these.
    this.add(new File("plain.conf", { content: \`label=\${this.label}\\npassword=\${this.password}\\ndb=\${this.host.data.dbpass}\\n\` }));
    this.add(new File("templated.conf", { source: this.brokenTemplate ? "broken.j2" : "templated.conf.j2" }));
    // Sensitive: never a diff at all.
    this.add(new File("key.pem", { content: this.environment.secretFiles["app.key"], sensitive: true }));
  }

  async verify() {
    if (this.fail) throw new UpdateNeeded();
    this.assertNoSubcomponentChanges();
  }

  async update() {
    if (this.fail) {
      await this.cmd(\`echo "connecting with \${this.password}"; echo "db \${this.host.data.dbpass} refused" >&2; exit 3\`);
    }
  }
}
`;

const WRITTEN = ["work/app/key.pem", "work/app/plain.conf", "work/app/templated.conf"];

function secretsToml(password: string, extra = ""): string {
  return `[components.app]\npassword = "${password}"\n${extra}\n[hosts.localhost.data]\ndbpass = "${SENTINEL}-db"\n`;
}

const project = secretsProject(box, {
  "environments/dev/environment.toml": localEnv(["app"]),
  "components/app/component.ts": APP,
  "components/app/templated.conf.j2": "{{ batou_generated_header }}\npassword={{ component.password }}\ndb={{ host.data.dbpass }}\n",
  "components/app/broken.j2": "db={{ host.data.dbpass.nosuch.deeper }}\n",
});
const setEnv = (components = "") => project.write("environments/dev/environment.toml", localEnv(["app"], components ? `\n[components.app]\n${components}\n` : ""));

/** Every run that must not show the sentinel, by label. */
const runs: Record<string, RunResult> = {};
function run(label: string, args: string[], expectedCode: number): RunResult {
  const result = project.batou(args);
  runs[label] = result;
  if (result.code !== expectedCode) throw new Error(`${label}: exit ${result.code}, expected ${expectedCode}:\n${result.output}`);
  return result;
}

/** Top-level entries of the system temp dir changed since this file started (other than our sandbox). */
function newSystemTempEntries(): string[] {
  const base = tmpdir();
  return readdirSync(base)
    .map((name) => join(base, name))
    // Our sandbox is scanned on its own; the SSH test bed's state (gigabytes of host roots) is not batou's.
    .filter((path) => path !== box.root && path !== TESTBED_DIR)
    .filter((path) => {
      try {
        const stat = statSync(path);
        return (stat.isDirectory() || stat.isFile()) && stat.mtimeMs >= started - 1000;
      } catch {
        return false;
      }
    });
}

describe("the poison test", () => {
  test("deploy, redeploy, predict, --json and --debug never show the sentinel", () => {
    project.seal(null, secretsToml(`${SENTINEL}-pw`));
    project.seal("app.key", `-----BEGIN KEY-----\n${SENTINEL}-file\n-----END KEY-----\n`);

    const first = run("deploy", ["deploy", "dev"], 0);
    expect(first.stdout).toContain("plain.conf: not showing the diff: it contains a secret value");
    expect(first.stdout).toContain("templated.conf: not showing the diff: it contains a secret value");
    expect(first.stdout).toContain("key.pem: not showing the diff: sensitive content");
    expect(project.read("work/app/plain.conf")).toContain(`${SENTINEL}-pw`);
    run("redeploy", ["deploy", "dev", "-d"], 0);

    // A changed secret: predict sees a diff it must not show.
    project.seal(null, secretsToml(`${SENTINEL}-pw2`));
    for (const [label, flags] of [
      ["predict", ["-P"]],
      ["predict json", ["-P", "--json"]],
      ["predict debug", ["-P", "-d"]],
      ["predict debug json", ["-P", "-d", "--json"]],
    ] as const) {
      const result = run(label, ["deploy", "dev", ...flags], 0);
      expect(result.output).toContain("not showing the diff: it contains a secret value");
    }
    run("deploy json debug", ["deploy", "dev", "--json", "-d"], 0);
    expect(project.read("work/app/plain.conf")).toContain(`${SENTINEL}-pw2`);
    run("consistency", ["deploy", "dev", "-c", "-d"], 0);
    expect(outputsContaining(runs, SENTINEL)).toEqual([]);
  }, 60_000);

  test("failing runs mask the sentinel in errors, stdout/stderr of commands and stack traces", () => {
    setEnv("fail = true");
    for (const [label, flags] of [
      ["failing command", []],
      ["failing command json", ["--json"]],
      ["failing command debug", ["-d"]],
      ["failing command debug json", ["-d", "--json"]],
    ] as const) {
      const result = run(label, ["deploy", "dev", ...flags], 1);
      expect(result.output).toContain("command failed with exit code 3");
      expect(result.output).toContain(`connecting with ${MASK}`); // the command's stdout, masked
      expect(result.output).toContain(`db ${MASK} refused`); // its stderr, masked
    }

    setEnv("throwIt = true");
    for (const [label, flags] of [
      ["throwing configure", []],
      ["throwing configure debug json", ["-d", "--json"]],
      ["throwing configure debug", ["-d"]],
    ] as const) {
      const result = run(label, ["deploy", "dev", ...flags], 1);
      expect(result.output).toContain(`cannot use ${MASK}`);
    }

    setEnv("brokenTemplate = true");
    run("template error", ["deploy", "dev"], 1);
    run("template error debug json", ["deploy", "dev", "-d", "--json"], 1);

    // A secret override of the wrong type: the error names the type, never the value.
    setEnv();
    project.seal(null, secretsToml(`${SENTINEL}-pw2`, `port = "${SENTINEL}-port"`));
    for (const [label, flags] of [
      ["wrong type", []],
      ["wrong type debug json", ["-d", "--json"]],
    ] as const) {
      const result = run(label, ["deploy", "dev", ...flags], 1);
      expect(result.output).toContain("override of the wrong type: expected number, got string");
    }
    project.seal(null, secretsToml(`${SENTINEL}-pw2`));
    expect(outputsContaining(runs, SENTINEL)).toEqual([]);
  }, 60_000);

  test("the sentinel is only in the files the component writes", () => {
    // The project as shipped (everything but work/) and work/ itself; *.nacl are scanned too.
    expect(filesContaining(project.dir, SENTINEL)).toEqual(WRITTEN);
    expect(filesContaining(box.home, SENTINEL)).toEqual([]);
    expect(filesContaining(box.tmp, SENTINEL)).toEqual([]);
    // batou runs with TMPDIR=box.tmp; still, nothing new in the system temp dir may hold it.
    const leaked = newSystemTempEntries().filter((path) => {
      try {
        return statSync(path).isDirectory() ? filesContaining(path, SENTINEL).length > 0 : readFileSync(path).includes(SENTINEL);
      } catch {
        return false; // removed meanwhile by whoever made it
      }
    });
    expect(leaked).toEqual([]);
    // No leftovers of atomic writes either.
    expect(readdirSync(join(project.dir, "work/app")).sort()).toEqual(["key.pem", "plain.conf", "templated.conf"]);
    expect(statSync(join(project.dir, "work/app/key.pem")).mode & 0o777).toBe(0o600);
  }, 60_000);

  describe("positive controls: the scanners can fail", () => {
    test("this.log(secret) prints it (the user asked for it) and the output scan finds it", () => {
      setEnv("logIt = true");
      const text = project.batou(["deploy", "dev"]);
      const json = project.batou(["deploy", "dev", "--json"]);
      setEnv();
      expect(text.code).toBe(0);
      expect(outputsContaining({ text, json }, SENTINEL)).toEqual(["text: stdout", "json: stdout"]);
    }, 30_000);

    test("a plain (non-secret) value is shown in diffs and found", () => {
      setEnv(`label = "${SENTINEL}-plain"`);
      // The file also holds secrets, so its diff is hidden; a second file shows the plain value.
      project.write("components/app/component.ts", APP.replace("// Sensitive:", `this.add(new File("label.txt", { content: this.label }));\n    // Sensitive:`));
      const result = project.batou(["deploy", "dev", "-P"]);
      project.write("components/app/component.ts", APP);
      setEnv();
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`+${SENTINEL}-plain`);
      expect(outputsContaining({ result }, SENTINEL)).toEqual(["result: stdout"]);
    }, 30_000);

    test("the tree scan finds a planted file anywhere", () => {
      const planted = join(box.tmp, "deep", "down");
      mkdirSync(planted, { recursive: true });
      writeFileSync(join(planted, "leak.bin"), Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(SENTINEL), Buffer.from([255])]));
      expect(filesContaining(box.tmp, SENTINEL)).toEqual(["deep/down/leak.bin"]);
      rmSync(join(box.tmp, "deep"), { recursive: true });
    });
  });
});
