/**
 * The git guards of `batou deploy`, through the CLI with real git: `branch`
 * and `clean = true` (no uncommitted changes, nothing unpushed), both
 * skipped by `-D`.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureCompiled, localEnvironment, RUNNERS, runBatou, tempProject } from "../helpers/project.ts";

beforeAll(() => ensureCompiled(), 300_000);

const FILES = {
  "environments/prod.toml": localEnvironment(["hello"]).replace("[environment]\n", '[environment]\nclean = true\nbranch = "main"\n'),
  "components/hello/component.ts": `import { Component, File } from "batou";\nexport class Hello extends Component {\n  configure() {\n    this.add(new File("hello.txt", { content: "hello\\n" }));\n  }\n}\n`,
  ".gitignore": "work/\n",
};

/** Runs git in `cwd`; throws with its output when it fails. */
function git(cwd: string, ...args: string[]): string {
  const env = { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" };
  const r = Bun.spawnSync(["git", ...args], { cwd, env, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`git ${args.join(" ")} failed: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

describe.each(RUNNERS)("clean = true ($name)", (runner) => {
  test("refuses uncommitted changes and unpushed commits, naming them; -D overrides; a pushed clean tree deploys", () => {
    using project = tempProject(FILES);
    const origin = mkdtempSync(join(tmpdir(), "batou-origin-"));
    try {
      const deploy = (...args: string[]) => runBatou(runner, ["deploy", "prod", ...args], project.dir);
      git(project.dir, "init", "-q", "-b", "main");
      git(project.dir, "add", ".");
      git(project.dir, "commit", "-q", "-m", "first");

      const unpushed = deploy();
      expect(unpushed.code).toBe(1);
      expect(unpushed.stderr).toContain('ERROR: branch "main" is not pushed: it has no upstream branch (clean = true)');
      expect(unpushed.stderr).toContain("hint: push it (git push -u), or deploy with -D/--dirty");
      expect(project.deployedNothing()).toBe(true);

      git(origin, "init", "-q", "--bare");
      git(project.dir, "remote", "add", "origin", origin);
      git(project.dir, "push", "-q", "-u", "origin", "main");
      const pushed = deploy();
      expect(pushed.stderr).toBe("");
      expect(pushed.code).toBe(0);
      expect(project.read("work/hello/hello.txt")).toBe("hello\n");

      project.write("components/hello/component.ts", FILES["components/hello/component.ts"].replace("hello\\n", "changed\\n"));
      project.write("components/hello/notes.txt", "new\n");
      const dirty = deploy();
      expect(dirty.code).toBe(1);
      expect(dirty.stderr).toContain("ERROR: the working tree has uncommitted changes (clean = true)");
      expect(dirty.stderr).toMatch(/changes: M components\/hello\/component\.ts\n\s+\?\? components\/hello\/notes\.txt\n/);
      expect(project.read("work/hello/hello.txt")).toBe("hello\n");

      const forced = deploy("-D");
      expect(forced.code).toBe(0);
      expect(forced.stderr).toContain("dirty deployment: the branch and clean checks are skipped");
      expect(project.read("work/hello/hello.txt")).toBe("changed\n");

      git(project.dir, "add", ".");
      git(project.dir, "commit", "-q", "-m", "second");
      const ahead = deploy();
      expect(ahead.code).toBe(1);
      expect(ahead.stderr).toContain('ERROR: branch "main" has 1 commit(s) not pushed to origin/main (clean = true)');
      expect(ahead.stderr).toMatch(/commits: [0-9a-f]+ second/);
      git(project.dir, "push", "-q");
      expect(deploy().code).toBe(0);
    } finally {
      rmSync(origin, { recursive: true, force: true });
    }
  });
});
