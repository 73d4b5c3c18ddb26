/**
 * The file family and planted symlinks (security issue: "symlinks are followed
 * where they must not be"). batou deploys as root here, into folders that
 * another user (nobody, uid 65534) can write and where that user planted
 * symlinks to root's files. Nothing may be written, read, chmod-ed or deleted
 * through them. Real files, real symlinks, real deploys.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chownSync, existsSync, lchownSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { appProject, cleanupProjects, deploy, scratchDir } from "./helpers.ts";

afterAll(cleanupProjects);

const NOBODY = 65534;
const root = process.getuid?.() === 0;
const mode = (path: string) => statSync(path).mode & 0o7777;
const text = (result: { events: object[]; stderr: string }) => JSON.stringify(result.events) + result.stderr;

/**
 * A folder `appdata` owned by nobody (who may write it), with root's
 * `precious` files elsewhere; `plant(name, target)` makes nobody's symlink.
 */
function attackSetup() {
  const scratch = scratchDir("batou-symlink-attack-");
  const precious = join(scratch, "precious");
  mkdirSync(precious, { mode: 0o700 });
  writeFileSync(join(precious, "shadow"), "root's secret\n", { mode: 0o600 });
  const appdata = join(scratch, "appdata");
  mkdirSync(appdata);
  chownSync(appdata, NOBODY, NOBODY);
  const plant = (name: string, target: string) => {
    symlinkSync(target, join(appdata, name));
    lchownSync(join(appdata, name), NOBODY, NOBODY);
    return join(appdata, name);
  };
  return { scratch, precious, appdata, plant };
}

describe.skipIf(!root)("planted symlinks (as root, in a folder another user can write)", () => {
  test("Purge never traverses a symlinked base: the files behind it stay, the deploy says why", async () => {
    const { precious, appdata, plant } = attackSetup();
    plant("cache", precious);
    const p = appProject(`this.add(new Purge(${JSON.stringify(`${appdata}/cache/*`)}));`, "Purge");
    const result = await deploy(p);
    expect(result.code).toBe(1);
    expect(text(result)).toContain("Purge does not remove files behind a symlink");
    expect(readdirSync(precious)).toEqual(["shadow"]);
  });

  test("Purge leaves matches behind a symlinked folder deeper in the pattern alone", async () => {
    const { precious, appdata, plant } = attackSetup();
    mkdirSync(join(appdata, "real"));
    writeFileSync(join(appdata, "real/old.tmp"), "x");
    plant("link", precious);
    const p = appProject(`this.add(new Purge(${JSON.stringify(`${appdata}/{link,real}/*`)}));`, "Purge");
    expect((await deploy(p)).code).toBe(0);
    expect(existsSync(join(appdata, "real/old.tmp"))).toBe(false);
    expect(readdirSync(precious)).toEqual(["shadow"]);
  });

  test("Directory with a mode refuses a symlink at its path; the target's mode is unchanged", async () => {
    const { precious, plant } = attackSetup();
    const link = plant("uploads", precious);
    const p = appProject(`this.add(new Directory(${JSON.stringify(link)}, { mode: 0o777 }));`, "Directory");
    const result = await deploy(p);
    expect(result.code).toBe(1);
    expect(text(result)).toContain("is a symlink");
    expect(mode(precious)).toBe(0o700);
  });

  test("Mode on a symlink to root's 0600 file changes nothing, and stays unchanged on every deploy", async () => {
    const { precious, plant } = attackSetup();
    const link = plant("app.conf", join(precious, "shadow"));
    const p = appProject(`this.add(new Mode(${JSON.stringify(link)}, { mode: "750" }));`, "Mode");
    for (let i = 0; i < 2; i++) {
      const result = await deploy(p);
      expect(result.code).toBe(0);
      expect(result.summary.changed).toBe(0);
    }
    expect(mode(join(precious, "shadow"))).toBe(0o600);
  });

  test("Directory('sub') refuses a symlink to a folder elsewhere, and File('sub/inner.txt') is not written through it", async () => {
    const { precious } = attackSetup();
    const p = appProject(`this.add(new Directory("sub"));\n    this.add(new File("sub/inner.txt", { content: "planted?\\n" }));`, "Directory, File");
    mkdirSync(p.work("app"), { recursive: true });
    symlinkSync(precious, join(p.work("app"), "sub"));
    const result = await deploy(p);
    expect(result.code).toBe(1);
    expect(text(result)).toContain("refusing to use it");
    expect(readdirSync(precious)).toEqual(["shadow"]);
  });

  test("a Directory that may be a symlink says so (allowSymlink), and files go where it points", async () => {
    const elsewhere = scratchDir("batou-data-");
    const p = appProject(`this.add(new Directory("data", { allowSymlink: true }));\n    this.add(new File("data/inner.txt", { content: "ok\\n" }));`, "Directory, File");
    mkdirSync(p.work("app"), { recursive: true });
    symlinkSync(elsewhere, join(p.work("app"), "data"));
    expect((await deploy(p)).code).toBe(0);
    expect(readFileSync(join(elsewhere, "inner.txt"), "utf8")).toBe("ok\n");
    expect((await deploy(p)).summary.changed).toBe(0);
  });

  test("-P never prints the content of a symlink's target; the deploy replaces the link, the target is untouched", async () => {
    const { precious, plant } = attackSetup();
    const link = plant("app.conf", join(precious, "shadow"));
    const p = appProject(`this.add(new File(${JSON.stringify(link)}, { content: "port = 80\\n" }));`, "File");
    const predicted = await deploy(p, { predict: true });
    expect(predicted.code).toBe(0);
    expect(predicted.stdout).not.toContain("root's secret");
    expect(predicted.logs.join("\n")).toContain("is a symlink");
    expect(predicted.diffs[0]!.diff).toContain("+port = 80");
    // A file in a folder nobody can write is not ours to keep out of, but the link is replaced, not followed.
    const result = await deploy(p);
    expect(result.stdout).not.toContain("root's secret");
    expect(lstatSync(link).isSymbolicLink()).toBe(false);
    expect(readFileSync(link, "utf8")).toBe("port = 80\n");
    expect(readFileSync(join(precious, "shadow"), "utf8")).toBe("root's secret\n");
  });

  test.each([
    ["File", (path: string) => `this.add(new File(${JSON.stringify(path)}, { content: "x\\n" }));`, "File"],
    ["Presence", (path: string) => `this.add(new Presence(${JSON.stringify(path)}));`, "Presence"],
    ["Symlink", (path: string) => `this.add(new Symlink(${JSON.stringify(path)}, { target: "/etc/passwd" }));`, "Symlink"],
    ["Mode", (path: string) => `this.add(new Mode(${JSON.stringify(path)}, { mode: 0o644 }));`, "Mode"],
    ["Owner", (path: string) => `this.add(new Owner(${JSON.stringify(path)}, { owner: "nobody" }));`, "Owner"],
  ])("%s refuses to reach its path through another user's symlink among the parents", async (_name, body, imports) => {
    const { precious, appdata, plant } = attackSetup();
    plant("cache", precious);
    writeFileSync(join(precious, "x.conf"), "root's\n", { mode: 0o600 });
    const p = appProject(body(`${appdata}/cache/x.conf`), imports);
    const result = await deploy(p);
    expect(result.code).toBe(1);
    expect(text(result)).toContain("refusing to follow a symlink");
    expect(text(result)).toContain("symlink owned by uid 65534");
    expect(readFileSync(join(precious, "x.conf"), "utf8")).toBe("root's\n");
    expect(statSync(join(precious, "x.conf"))).toMatchObject({ uid: 0, mode: 0o100600 });
    expect(readdirSync(precious).sort()).toEqual(["shadow", "x.conf"]);
  });

  test("a symlink among the parents that root owns, in a folder only root can change, is followed", async () => {
    const p = appProject(
      `this.add(new Directory("releases/v1", { leadingDirs: true }));\n    this.add(new Symlink("current", { target: "releases/v1" }));\n    this.add(new File("current/app.conf", { content: "v1\\n" }));`,
      "Directory, File, Symlink",
    );
    expect((await deploy(p)).code).toBe(0);
    expect(readFileSync(join(p.work("app"), "releases/v1/app.conf"), "utf8")).toBe("v1\n");
    expect((await deploy(p)).summary.changed).toBe(0);
  });

  test("Owner and Group on a symlink change the link itself, never its target", async () => {
    const { precious } = attackSetup();
    const p = appProject(`this.add(new Owner("link", { owner: "nobody" }));\n    this.add(new Group("link", { group: "${NOBODY}" }));`, "Group, Owner");
    mkdirSync(p.work("app"), { recursive: true });
    symlinkSync(join(precious, "shadow"), join(p.work("app"), "link"));
    expect((await deploy(p)).summary.changed).toBe(2);
    expect(lstatSync(join(p.work("app"), "link"))).toMatchObject({ uid: NOBODY, gid: NOBODY });
    expect(statSync(join(precious, "shadow"))).toMatchObject({ uid: 0, gid: 0 });
    expect((await deploy(p)).summary.changed).toBe(0);
  });
});

describe("leftovers of a killed deploy", () => {
  test("a temporary file of a process that is gone is removed when the folder is written to again", async () => {
    const p = appProject(`this.add(new File("app.conf", { content: "new\\n" }));`, "File");
    const work = p.work("app");
    mkdirSync(work, { recursive: true });
    const gone = Number(Bun.spawnSync(["sh", "-c", "echo $$"]).stdout.toString());
    writeFileSync(join(work, "app.conf"), "old\n");
    writeFileSync(join(work, `.app.conf.batou-${gone}-k1lled`), "half writ");
    expect((await deploy(p)).code).toBe(0);
    expect(readdirSync(work)).toEqual(["app.conf"]);
  });
});
