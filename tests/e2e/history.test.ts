/**
 * The deployment history locally (connect_method = "local"), through the
 * CLI from source and compiled: every deployment appends one line per host
 * to work/.batou/history.jsonl (predictions and checks do not), and
 * `batou history ENV [HOST]` shows it.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { hostname } from "node:os";
import { currentUser } from "../../lib/engine/process-info.ts";
import { ensureCompiled, RUNNERS, runBatou, tempProject } from "../helpers/project.ts";
import { VERSION } from "../../lib/version.ts";

beforeAll(() => ensureCompiled(), 300_000);

const FILES = {
  "environments/dev.toml": `[environment]\nconnect_method = "local"\n\n[hosts.one]\ncomponents = ["hello"]\n\n[hosts.two]\ncomponents = ["breaks"]\n`,
  "components/hello/component.ts": `import { Component, File, UpdateNeeded } from "batou";
export class Hello extends Component {
  greeting = "hello";
  configure() {
    this.add(new File("hello.txt", { content: this.greeting + "\\n" }));
  }
}
export class Breaks extends Component {
  fail = false;
  configure() {
    this.add(new File("before.txt", { content: "before\\n" }));
  }
  async verify() {
    if (this.fail) throw new UpdateNeeded();
  }
  async update() {
    throw new Error("broken on purpose");
  }
}
`,
};

const lines = (text: string) => text.trim().split("\n").map((line) => JSON.parse(line));

describe.each(RUNNERS)("deployment history ($name)", (runner) => {
  test("each deployment appends an entry per host; -P and -c do not; batou history shows them", () => {
    using project = tempProject(FILES);
    const batou = (...args: string[]) => runBatou(runner, args, project.dir);
    expect(batou("deploy", "dev").code).toBe(0);
    expect(batou("deploy", "dev", "-P").code).toBe(0);
    expect(batou("deploy", "dev", "-c").code).toBe(0);
    project.write("environments/dev.toml", `${FILES["environments/dev.toml"]}\n[components.breaks]\nfail = true\n`);
    expect(batou("deploy", "dev").code).toBe(1);

    const entries = lines(project.read("work/.batou/history.jsonl"));
    expect(entries).toHaveLength(4);
    const deployer = `${currentUser()}@${hostname()}`;
    for (const entry of entries) {
      expect(entry).toMatchObject({ batou: VERSION, environment: "dev" });
      expect(entry.deployer).toBe(deployer);
      expect(Number.isNaN(Date.parse(entry.time))).toBe(false);
      expect(entry.commit).toBeUndefined(); // not a git repository
    }
    expect(entries.map((e) => `${e.host}:${e.ok}`).sort()).toEqual(["one:true", "one:true", "two:false", "two:true"]);
    expect(entries.find((e) => e.host === "one").changed).toEqual(["Hello > File('hello.txt') > Content('hello.txt')"]);
    expect(entries.filter((e) => e.host === "one").at(-1).changed).toEqual([]);
    expect(entries.find((e) => e.host === "two" && !e.ok).changed).toEqual([]);

    const text = batou("history", "dev", "one");
    expect(text.code).toBe(0);
    expect(text.stdout).toStartWith("one: 2 deployment(s) (work/.batou/history.jsonl)\n");
    expect(text.stdout).toContain(`ok      ${entries[0].deployer}  batou ${VERSION}  no git  dev  1 changed: Hello > File('hello.txt') > Content('hello.txt')`);
    expect(text.stdout).toContain("nothing changed");
    expect(text.stdout).not.toContain("two:");

    const all = batou("history", "dev", "--json");
    expect(all.code).toBe(0);
    const shown = lines(all.stdout);
    expect(shown.map((e) => e.event)).toEqual(["history", "history", "history", "history"]);
    expect(shown.filter((e) => e.host === "two").map((e) => e.ok)).toEqual([true, false]);

    const unknown = batou("history", "dev", "three");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('ERROR: environment "dev" has no host "three"');
    expect(batou("history").code).toBe(2);
  });

  test("the git commit is recorded, and whether the working tree had changes", () => {
    using project = tempProject(FILES);
    const git = (...args: string[]) => {
      const r = Bun.spawnSync(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: project.dir });
      if (r.exitCode !== 0) throw new Error(r.stderr.toString());
      return r.stdout.toString().trim();
    };
    git("init", "-q");
    project.write(".gitignore", "work/\n");
    git("add", ".");
    git("commit", "-q", "-m", "first");
    expect(runBatou(runner, ["deploy", "dev", "--hosts", "one"], project.dir).code).toBe(0);
    project.write("components/hello/notes.txt", "uncommitted\n");
    expect(runBatou(runner, ["deploy", "dev", "--hosts", "one"], project.dir).code).toBe(0);
    const [clean, dirty] = lines(project.read("work/.batou/history.jsonl"));
    expect(clean).toMatchObject({ host: "one", commit: git("rev-parse", "HEAD"), dirty: false });
    expect(dirty).toMatchObject({ commit: clean.commit, dirty: true });
    expect(runBatou(runner, ["history", "dev", "one"], project.dir).stdout).toContain(`${clean.commit.slice(0, 10)}+dirty`);
  });
});
