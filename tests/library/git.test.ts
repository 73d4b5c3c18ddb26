import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { component, deploy, makeProject, cleanupProjects, scratchDir } from "./helpers.ts";

afterAll(cleanupProjects);

setDefaultTimeout(120_000);

function git(cwd: string, ...args: string[]): string {
  const r = Bun.spawnSync(["git", ...args], {
    cwd,
    env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@x", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@x" },
  });
  if (r.exitCode !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.toString().trim();
}

describe("GitClone", () => {
  let upstream: string;
  let first: string;
  beforeAll(() => {
    upstream = scratchDir("batou-git-");
    git(upstream, "init", "-q", "-b", "main");
    writeFileSync(join(upstream, "README"), "one\n");
    git(upstream, "add", ".");
    git(upstream, "commit", "-q", "-m", "one");
    first = git(upstream, "rev-parse", "HEAD");
    git(upstream, "tag", "v1");
    git(upstream, "checkout", "-q", "-b", "release");
    writeFileSync(join(upstream, "RELEASE"), "r\n");
    git(upstream, "add", ".");
    git(upstream, "commit", "-q", "-m", "release");
    git(upstream, "checkout", "-q", "main");
  });

  const project = (options: string) =>
    makeProject(
      {
        "components/src/component.ts": component(
          `export class Src extends Component { configure() { this.add(new GitClone(${JSON.stringify(upstream)}, ${options})); } }`,
          "Component, GitClone",
        ),
      },
      ["src"],
    );

  test("clones a branch, follows new commits, idempotent, -P changes nothing", async () => {
    const p = project(`{ target: "co", branch: "release" }`);
    const co = join(p.work("src"), "co");
    expect((await deploy(p, { predict: true })).summary.changed).toBe(1);
    expect(existsSync(co)).toBe(false);
    expect((await deploy(p)).code).toBe(0);
    expect(readFileSync(join(co, "RELEASE"), "utf8")).toBe("r\n");
    expect(git(co, "rev-parse", "--abbrev-ref", "HEAD")).toBe("release");
    expect((await deploy(p)).summary.changed).toBe(0);

    git(upstream, "checkout", "-q", "release");
    writeFileSync(join(upstream, "RELEASE"), "r2\n");
    git(upstream, "commit", "-q", "-am", "r2");
    git(upstream, "checkout", "-q", "main");
    const predicted = await deploy(p, { predict: true });
    expect(predicted.summary.changed).toBe(1);
    expect(readFileSync(join(co, "RELEASE"), "utf8")).toBe("r\n");
    expect((await deploy(p)).summary.changed).toBe(1);
    expect(readFileSync(join(co, "RELEASE"), "utf8")).toBe("r2\n");
    expect((await deploy(p)).summary.changed).toBe(0);
  });

  test("the remote's default branch without branch or revision", async () => {
    const p = project(`{ target: "co" }`);
    expect((await deploy(p)).code).toBe(0);
    expect(git(join(p.work("src"), "co"), "rev-parse", "--abbrev-ref", "HEAD")).toBe("main");
    expect((await deploy(p)).summary.changed).toBe(0);
  });

  test("a revision (commit or tag), switching between them", async () => {
    const p = project(`{ target: "co", revision: "${first}" }`);
    const co = join(p.work("src"), "co");
    expect((await deploy(p)).code).toBe(0);
    expect(git(co, "rev-parse", "HEAD")).toBe(first);
    expect((await deploy(p)).summary.changed).toBe(0);
    writeFileSync(
      join(p.dir, "components/src/component.ts"),
      component(`export class Src extends Component { configure() { this.add(new GitClone(${JSON.stringify(upstream)}, { target: "co", branch: "release" })); } }`, "Component, GitClone"),
    );
    expect((await deploy(p)).summary.changed).toBe(1);
    expect(existsSync(join(co, "RELEASE"))).toBe(true);
    writeFileSync(
      join(p.dir, "components/src/component.ts"),
      component(`export class Src extends Component { configure() { this.add(new GitClone(${JSON.stringify(upstream)}, { target: "co", revision: "v1" })); } }`, "Component, GitClone"),
    );
    expect((await deploy(p)).summary.changed).toBe(1);
    expect(git(co, "rev-parse", "HEAD")).toBe(first);
    expect((await deploy(p)).summary.changed).toBe(0);
  });

  test("local changes, untracked files and local commits are errors, never discarded", async () => {
    const p = project(`{ target: "co", branch: "main" }`);
    const co = join(p.work("src"), "co");
    expect((await deploy(p)).code).toBe(0);
    writeFileSync(join(co, "README"), "edited\n");
    const dirty = await deploy(p);
    expect(dirty.code).not.toBe(0);
    const error = dirty.errors[0]!;
    expect(error.message).toContain("local changes");
    expect(error.context.path).toBe(co);
    expect(error.context.changes).toContain("README");
    expect(dirty.stdout + dirty.stderr).not.toContain("    at ");
    expect(readFileSync(join(co, "README"), "utf8")).toBe("edited\n");
    git(co, "checkout", "README");
    writeFileSync(join(co, "new.txt"), "untracked\n");
    expect((await deploy(p, { predict: true })).errors[0]?.context.changes).toContain("new.txt");
    expect(existsSync(join(co, "new.txt"))).toBe(true);
    git(co, "add", "new.txt");
    git(co, "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-q", "-m", "local");
    const local = await deploy(p);
    expect(local.errors[0]?.message).toContain("1 local commit(s)");
    expect(existsSync(join(co, "new.txt"))).toBe(true);
  });

  test("a non-empty folder that is no clone is an error", async () => {
    const p = project(`{ target: "co", branch: "main" }`);
    Bun.spawnSync(["mkdir", "-p", join(p.work("src"), "co")]);
    writeFileSync(join(p.work("src"), "co/file"), "x");
    expect((await deploy(p)).errors[0]?.message).toContain("is not a git working copy");
  });

  test("a revision, tag or branch the remote does not have: -P and the deploy say so, nothing is cloned", async () => {
    for (const [options, message] of [
      [`{ target: "co", revision: "v9" }`, `revision v9 not found in ${upstream}`],
      [`{ target: "co", tag: "v9" }`, `tag v9 not found in ${upstream}`],
      [`{ target: "co", tag: "main" }`, `tag main not found in ${upstream}`],
      [`{ target: "co", branch: "nope" }`, `branch nope not found in ${upstream}`],
    ]) {
      const p = project(options!);
      for (const run of [await deploy(p, { predict: true }), await deploy(p)]) {
        expect(run.code).toBe(1);
        expect(run.errors[0]?.message).toBe(message!);
        expect(run.errors[0]?.context.component).toStartWith("Src > GitClone(");
        expect(run.stdout + run.stderr).not.toContain("    at ");
      }
      expect(existsSync(join(p.work("src"), "co"))).toBe(false);
    }
  });

  test("a working copy asked for a revision the remote does not have: -P says so and changes nothing", async () => {
    const p = project(`{ target: "co", revision: "v1" }`);
    expect((await deploy(p)).code).toBe(0);
    writeFileSync(
      join(p.dir, "components/src/component.ts"),
      component(`export class Src extends Component { configure() { this.add(new GitClone(${JSON.stringify(upstream)}, { target: "co", revision: "v9" })); } }`, "Component, GitClone"),
    );
    const predicted = await deploy(p, { predict: true });
    expect(predicted.errors[0]?.message).toBe(`revision v9 not found in ${upstream}`);
    expect(git(join(p.work("src"), "co"), "rev-parse", "HEAD")).toBe(first);
  });

  test("a commit id the remote does not have: -P would clone, the deploy fails before anything is in place", async () => {
    const p = project(`{ target: "co", revision: "0123456789abcdef0123456789abcdef01234567" }`);
    expect((await deploy(p, { predict: true })).code).toBe(0);
    const run = await deploy(p);
    expect(run.errors[0]?.message).toBe(`revision 0123456789abcdef0123456789abcdef01234567 not found in ${upstream}`);
    expect(readdirSync(p.work("src"))).toEqual([]);
  });

  test("a tag is checked out detached; a revision or tag that could be an option is refused", async () => {
    const p = project(`{ target: "co", tag: "v1" }`);
    expect((await deploy(p)).code).toBe(0);
    expect(git(join(p.work("src"), "co"), "rev-parse", "HEAD")).toBe(first);
    expect((await deploy(p)).summary.changed).toBe(0);
    const bad = await deploy(project(`{ target: "co", revision: "--upload-pack=touch /tmp/x" }`));
    expect(bad.errors[0]?.message).toBe('invalid revision "--upload-pack=touch /tmp/x"');
    expect((await deploy(project(`{ target: "co", tag: "v1", branch: "main" }`))).errors[0]?.message).toContain("takes one of branch, tag or revision, not branch and tag");
  });
});
