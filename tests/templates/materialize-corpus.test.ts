/**
 * tools/materialize-corpus.ts: the public corpus is read out of real git
 * clones at the pinned commit, all of it or nothing, with errors that name
 * the missing repository, commit or path.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gitDirCandidates, gitShowCommand, MARKER, materialize, parseSource, readManifest } from "./tools/materialize-corpus.ts";

const root = mkdtempSync(join(tmpdir(), "batou-materialize-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const git = (cwd: string, ...args: string[]) => {
  const run = Bun.spawnSync(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  if (run.exitCode !== 0) throw new Error(`git ${args.join(" ")}: ${run.stderr.toString()}`);
  return run.stdout.toString().trim();
};

/** A work-tree clone at clones/acme+deploy with two commits of one template; returns the first. */
function makeClones(): { clones: string; first: string } {
  const clones = join(root, `clones-${Math.random().toString(36).slice(2)}`);
  const work = join(clones, "acme+deploy");
  mkdirSync(join(work, "components", "web"), { recursive: true });
  git(work, "init", "-q");
  writeFileSync(join(work, "components", "web", "site.conf"), Buffer.from("listen {{ component.port }};\r\nraw \xff bytes\n", "latin1"));
  git(work, "add", ".");
  git(work, "commit", "-qm", "first");
  const first = git(work, "rev-parse", "HEAD");
  writeFileSync(join(work, "components", "web", "site.conf"), "changed later\n");
  git(work, "commit", "-qam", "second");
  return { clones, first };
}

function writeManifest(templates: unknown[]): string {
  const file = join(root, `manifest-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ templates }));
  return file;
}

describe("materialize-corpus", () => {
  test("writes each template as it is at the pinned commit, bytes unchanged", () => {
    const { clones, first } = makeClones();
    const manifest = writeManifest([{ id: "deploy/web-site.conf", source: "acme/deploy:components/web/site.conf", commit: first, context: {} }]);
    const outDir = join(root, "out-pinned");
    expect(materialize({ clones, outDir, manifest })).toEqual({ written: 1, outDir });
    expect(readFileSync(join(outDir, "deploy", "web-site.conf"), "latin1")).toBe("listen {{ component.port }};\r\nraw \xff bytes\n");
    // Again, over its own earlier output.
    expect(materialize({ clones, outDir, manifest }).written).toBe(1);
  });

  test("finds a bare clone under OWNER/NAME", () => {
    const { clones, first } = makeClones();
    git(clones, "clone", "-q", "--bare", join(clones, "acme+deploy"), join(clones, "acme", "deploy"));
    rmSync(join(clones, "acme+deploy"), { recursive: true, force: true });
    const manifest = writeManifest([{ id: "deploy/site.conf", source: "acme/deploy:components/web/site.conf", commit: first, context: {} }]);
    const outDir = join(root, "out-bare");
    expect(materialize({ clones, outDir, manifest }).written).toBe(1);
  });

  test("a missing repository or path fails naming it, and nothing is written", () => {
    const { clones, first } = makeClones();
    const manifest = writeManifest([
      { id: "deploy/site.conf", source: "acme/deploy:components/web/site.conf", commit: first, context: {} },
      { id: "deploy/gone.conf", source: "acme/deploy:components/web/gone.conf", commit: first, context: {} },
      { id: "other/a", source: "acme/other:a", commit: first, context: {} },
      { id: "other/b", source: "acme/other:b", commit: first, context: {} },
    ]);
    const outDir = join(root, "out-missing");
    let message = "";
    try {
      materialize({ clones, outDir, manifest });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("2 problem(s), nothing written");
    expect(message).toContain(`acme/deploy: components/web/gone.conf at commit ${first} not found`);
    expect(message).toContain(`acme/other: no clone under ${clones}`);
    expect(message).toContain(`git clone https://github.com/acme/other ${join(clones, "acme", "other")}`);
    expect(existsSync(outDir)).toBe(false);
  });

  test("refuses to replace a non-empty directory it did not write", () => {
    const { clones, first } = makeClones();
    const manifest = writeManifest([{ id: "deploy/site.conf", source: "acme/deploy:components/web/site.conf", commit: first, context: {} }]);
    const outDir = join(root, "out-foreign");
    mkdirSync(outDir);
    writeFileSync(join(outDir, "notes.txt"), "mine");
    expect(() => materialize({ clones, outDir, manifest })).toThrow(`has no ${MARKER}`);
    expect(readFileSync(join(outDir, "notes.txt"), "utf8")).toBe("mine");
  });

  test("a manifest entry that could escape the output directory or name an option is refused", () => {
    const bad = writeManifest([
      { id: "../escape", source: "acme/deploy:a", commit: "0".repeat(40), context: {} },
      { id: "ok/a", source: "acme/deploy:-p", commit: "0".repeat(40), context: {} },
      { id: "ok/b", source: "acme/deploy:b", commit: "HEAD", context: {} },
    ]);
    expect(() => readManifest(bad)).toThrow(/templates\[0\] \(\.\.\/escape\): "id" must be a relative path[\s\S]*templates\[1\] \(ok\/a\): "source"[\s\S]*templates\[2\] \(ok\/b\): "commit"/);
  });

  test("sources, clone locations and the git command are plain values", () => {
    expect(parseSource("flyingcircusio/batou:src/batou/lib/resources/crontab")).toEqual({ owner: "flyingcircusio", name: "batou", path: "src/batou/lib/resources/crontab" });
    expect(parseSource("flyingcircusio/batou")).toBeUndefined();
    expect(parseSource("a/b:x/../../etc/passwd")).toBeUndefined();
    expect(gitDirCandidates("/c", "o", "n")).toEqual(["/c/o+n/.git", "/c/o+n", "/c/o+n/repo/.git", "/c/o+n/repo", "/c/o/n/.git", "/c/o/n", "/c/o/n/repo/.git", "/c/o/n/repo"]);
    expect(gitShowCommand("/c/o+n/.git", "a".repeat(40), "x y")).toEqual(["git", "--git-dir=/c/o+n/.git", "show", `${"a".repeat(40)}:x y`]);
  });

  test("the project's manifest is valid and pins every template", () => {
    const entries = readManifest();
    expect(entries.length).toBe(98);
    expect(new Set(entries.map((e) => e.source.split(":")[0])).size).toBe(13);
  });
});
