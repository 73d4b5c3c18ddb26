/**
 * `Mercurial` with the real `hg`: the cases of batou's Mercurial clone tests
 * (clone, follow a branch's incoming changes, switch branches, a pinned
 * revision stays, a long revision id equal to the current one changes
 * nothing), and ours: local changes and untracked files are an error, never
 * lost; -P on an empty host predicts the clone or names an unknown revision.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupProjects, component, deploy, makeProject, scratchDir, type Project } from "./helpers.ts";

afterAll(cleanupProjects);
setDefaultTimeout(60_000);

const hasHg = Bun.spawnSync(["sh", "-c", "command -v hg"]).exitCode === 0;

function hg(cwd: string, ...args: string[]): string {
  const r = Bun.spawnSync(["hg", ...args], { cwd, env: { ...process.env, HGUSER: "test <t@example.com>", HGPLAIN: "1" } });
  if (r.exitCode !== 0) throw new Error(`hg ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.toString();
}

function commit(repo: string, file: string, content: string, message: string): string {
  writeFileSync(join(repo, file), content);
  hg(repo, "commit", "--addremove", "-m", message);
  return hg(repo, "log", "-r", ".", "-T", "{node}");
}

const project = (url: string, options: string): Project =>
  makeProject({ "components/app/component.ts": component(`export class App extends Component { configure() { this.add(new Mercurial(${JSON.stringify(url)}, ${options})); } }`, "Component, Mercurial") }, ["app"]);

const rewrite = (p: Project, url: string, options: string) =>
  p.write("components/app/component.ts", component(`export class App extends Component { configure() { this.add(new Mercurial(${JSON.stringify(url)}, ${options})); } }`, "Component, Mercurial"));

describe.skipIf(!hasHg)("Mercurial (real hg)", () => {
  let upstream: string;
  let first: string;
  beforeAll(() => {
    upstream = join(scratchDir("batou-hg-"), "upstream");
    mkdirSync(upstream);
    hg(upstream, "init");
    first = commit(upstream, "foo", "", "foo");
  });

  test("clones, follows the branch's incoming changes, switches branches; a second deploy changes nothing", async () => {
    const p = project(upstream, `{ target: "clone" }`);
    const clone = join(p.work("app"), "clone");
    const predicted = await deploy(p, { predict: true });
    expect(predicted.errors).toEqual([]);
    expect(predicted.logs).toContain(`clone ${upstream} into ${clone} at default (${first.slice(0, 12)})`);
    expect(existsSync(p.work("app"))).toBe(false);

    expect((await deploy(p)).errors).toEqual([]);
    expect(existsSync(join(clone, "foo"))).toBe(true);
    expect((await deploy(p)).changed).toEqual([]);

    const incoming = commit(upstream, "bar", "bar\n", "bar");
    const followed = await deploy(p);
    expect(followed.logs).toEqual([`update to default (${incoming.slice(0, 12)}), now at ${first.slice(0, 12)}`]);
    expect(readFileSync(join(clone, "bar"), "utf8")).toBe("bar\n");

    hg(upstream, "branch", "feature");
    commit(upstream, "baz", "baz\n", "on feature");
    hg(upstream, "update", "default");
    rewrite(p, upstream, `{ target: "clone", branch: "feature" }`);
    expect((await deploy(p)).errors).toEqual([]);
    expect(hg(clone, "branch").trim()).toBe("feature");
    expect(existsSync(join(clone, "baz"))).toBe(true);
    expect((await deploy(p)).changed).toEqual([]);
  });

  test("a pinned revision stays when upstream moves on; its long id equal to the current one changes nothing", async () => {
    const p = project(upstream, `{ target: "pinned", revision: "${first.slice(0, 12)}" }`);
    const clone = join(p.work("app"), "pinned");
    expect((await deploy(p)).errors).toEqual([]);
    commit(upstream, "later", "later\n", "later");
    expect((await deploy(p)).changed).toEqual([]);
    expect(existsSync(join(clone, "later"))).toBe(false);
    expect(hg(clone, "log", "-r", ".", "-T", "{node}")).toBe(first);
    rewrite(p, upstream, `{ target: "pinned", revision: "${first}" }`);
    expect((await deploy(p)).changed).toEqual([]);
  });

  test("local changes and untracked files are an error and are kept; an unknown revision is an error under -P", async () => {
    const p = project(upstream, `{ target: "work" }`);
    const clone = join(p.work("app"), "work");
    expect((await deploy(p)).errors).toEqual([]);
    commit(upstream, "news", "news\n", "news");
    writeFileSync(join(clone, "foo"), "local edit\n");
    const dirty = await deploy(p);
    expect(dirty.errors[0]?.message).toBe("the working copy has local changes; refusing to touch it");
    expect(dirty.errors[0]?.context.changes).toBe("M foo");
    expect(readFileSync(join(clone, "foo"), "utf8")).toBe("local edit\n");
    hg(clone, "revert", "--all", "--no-backup");
    writeFileSync(join(clone, "untracked"), "mine\n");
    const untracked = await deploy(p);
    expect(untracked.errors[0]?.context.changes).toBe("? untracked");
    expect(existsSync(join(clone, "untracked"))).toBe(true);
    const local = commit(clone, "untracked", "mine\n", "a local commit");
    const ahead = await deploy(p);
    expect(ahead.errors[0]?.message).toBe("the working copy has local commits not on the remote; refusing to move away from them");
    expect(hg(clone, "log", "-r", ".", "-T", "{node}")).toBe(local);

    const unknown = project(upstream, `{ target: "nope", revision: "v9" }`);
    const predicted = await deploy(unknown, { predict: true });
    expect(predicted.errors[0]?.message).toBe(`revision v9 not found in ${upstream}`);
    expect(predicted.errors[0]?.context.component).toBe(`App > Mercurial('${upstream}')`);
  });
});
