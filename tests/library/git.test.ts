import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
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
});
