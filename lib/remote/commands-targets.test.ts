/**
 * The commands of the other targets as values: the exec argv and its probe,
 * `vagrant ssh-config`, and the tar stream for hosts without rsync (packed by
 * the real `tar` and unpacked by the receiver in a real `sh`).
 */
import { afterEach, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { EXEC_PROBE, execArgv, execCommandArgv, parseExecProbe, PROJECT_EXCLUDES, treeArchiveArgv, treeReceiver, vagrantSshConfigArgv, validTargetName } from "./commands.ts";
import { projectManifest, walkTree } from "./ship/project-manifest.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "batou-targets-"));
  dirs.push(dir);
  return dir;
}

function write(root: string, rel: string, content: string): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), content);
}

test("names that may reach an exec or vagrant argv: no option, no shell or path characters", () => {
  for (const name of ["web1", "db.example.com", "app_2", "k8s-pod-7d9f", "1st"]) expect(validTargetName(name)).toBe(true);
  for (const name of ["", "-it", "--privileged", "a b", "a/b", "../x", "$(id)", "a;b", "x\n", "a:b", "é"]) expect(validTargetName(name)).toBe(false);
});

test("the exec argv: every {host} replaced, also inside a word; the command goes to sh -c as one word", () => {
  expect(execArgv(["podman", "exec", "-i", "{host}"], "web1")).toEqual(["podman", "exec", "-i", "web1"]);
  expect(execArgv(["kubectl", "exec", "-i", "{host}", "--"], "api-0")).toEqual(["kubectl", "exec", "-i", "api-0", "--"]);
  expect(execArgv(["machinectl", "shell", "root@{host}"], "c1")).toEqual(["machinectl", "shell", "root@c1"]);
  expect(execArgv(["nsenter", "--net=/run/netns/{host}", "--uts=/ns/{host}/uts"], "h")).toEqual(["nsenter", "--net=/run/netns/h", "--uts=/ns/h/uts"]);
  expect(execArgv(["sh", "-c", "$HOME {host}"], "h")).toEqual(["sh", "-c", "$HOME h"]); // nothing else is touched
  expect(execCommandArgv(["podman", "exec", "-i", "web1"], "cd '/a b' && exec x agent")).toEqual(["podman", "exec", "-i", "web1", "sh", "-c", "cd '/a b' && exec x agent"]);
});

test("the exec probe in a real sh: the user, and whether rsync is on PATH", () => {
  const probe = (path: string) => spawnSync("/bin/sh", ["-c", EXEC_PROBE], { env: { PATH: path }, encoding: "utf8" }).stdout;
  const user = spawnSync("id", ["-un"], { encoding: "utf8" }).stdout.trim();
  const bin = tempDir();
  symlinkSync(Bun.which("id")!, join(bin, "id"));
  expect(parseExecProbe(probe(process.env.PATH!))).toEqual({ user, rsync: Bun.which("rsync") !== null });
  expect(parseExecProbe(probe(bin))).toEqual({ user, rsync: false });
  expect(parseExecProbe("")).toBeUndefined();
  expect(parseExecProbe("Error: no such container web1\n")).toBeUndefined();
  expect(parseExecProbe("root\nrsync=maybe\n")).toBeUndefined();
});

test("vagrant ssh-config for one machine", () => {
  expect(vagrantSshConfigArgv("web1")).toEqual(["vagrant", "ssh-config", "web1"]);
  expect(vagrantSshConfigArgv("web1", "/opt/vagrant/bin/vagrant")).toEqual(["/opt/vagrant/bin/vagrant", "ssh-config", "web1"]);
});

/** Packs `src` as streamDirectory does (the real tar, the entries on stdin) and unpacks it with the receiver into `dest`. */
function shipTree(src: string, dest: string, excludes: string[], cut?: (archive: Buffer) => Buffer) {
  const names: string[] = [];
  walkTree(src, excludes, ({ relative }) => names.push(relative));
  const [tar, ...args] = treeArchiveArgv(src);
  const packed = spawnSync(tar!, args, { input: names.map((n) => `${n}\0`).join("") });
  expect(packed.status).toBe(0);
  const archive = cut ? cut(packed.stdout) : packed.stdout;
  return spawnSync("sh", ["-c", treeReceiver(dest, excludes)], { input: archive, encoding: "utf8" });
}

test("a tree as a tar stream: replaced at the top except what the excludes keep; modes and nanosecond mtimes kept", () => {
  const root = tempDir();
  const src = join(root, "src");
  const dest = join(root, "dest");
  const files: Record<string, string> = {
    "components/app/component.ts": "export default 1;\n",
    "environments/prod.toml": "[environment]\n",
    ".hidden": "dot\n",
    "..two": "two dots\n",
    "-n": "a name like an option\n",
    "with space/and\nnewline.txt": "odd names\n",
    "work/local": "never shipped\n",
    "secrets.toml.nacl": "never shipped\n",
  };
  for (const [rel, content] of Object.entries(files)) write(src, rel, content);
  symlinkSync("components/app", join(src, "app-link"));
  spawnSync("chmod", ["741", join(src, "components/app/component.ts")]);
  // what the host had: an old tree, its own work/ and lock, a staging folder a killed run left
  write(dest, "old.txt", "gone after the shipment\n");
  write(dest, "components/stale.ts", "gone too\n");
  write(dest, "work/app/state", "the host's\n");
  write(dest, ".batou-lock", "held\n");
  write(dest, ".batou/batou-0.1.0", "executable\n");
  write(dest, "top.nacl", "kept, as rsync keeps excluded names\n");
  write(dest, ".batou-incoming.1/x", "left by a killed run\n");

  const r = shipTree(src, dest, PROJECT_EXCLUDES);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  expect(readdirSync(dest).sort()).toEqual(["-n", "..two", ".batou", ".batou-lock", ".hidden", "app-link", "components", "environments", "top.nacl", "with space", "work"]);
  expect(readFileSync(join(dest, "with space/and\nnewline.txt"), "utf8")).toBe("odd names\n");
  expect(readdirSync(join(dest, "components"))).toEqual(["app"]);
  expect(readFileSync(join(dest, "work/app/state"), "utf8")).toBe("the host's\n");
  expect(existsSync(join(dest, "work/local"))).toBe(false);
  expect(existsSync(join(dest, "secrets.toml.nacl"))).toBe(false);
  expect(statSync(join(dest, "components/app/component.ts")).mode & 0o7777).toBe(0o741);
  expect(projectManifest(dest, PROJECT_EXCLUDES)).toEqual(projectManifest(src, PROJECT_EXCLUDES));
});

test("a truncated tar stream changes nothing and leaves no staging folder", () => {
  const root = tempDir();
  const src = join(root, "src");
  const dest = join(root, "dest");
  write(src, "big.txt", "x".repeat(100_000));
  write(src, "new.txt", "new\n");
  write(dest, "old.txt", "still here\n");
  const r = shipTree(src, dest, [], (archive) => archive.subarray(0, 20_000));
  expect(r.status).not.toBe(0);
  expect(readdirSync(dest)).toEqual(["old.txt"]);
});

test("the receiver refuses exclude patterns it cannot keep at the top; a missing directory is created", () => {
  expect(() => treeReceiver("/d", ["/lib/work"])).toThrow('unsupported exclude pattern "/lib/work"');
  expect(() => treeReceiver("/d", ["*.$(x)"])).toThrow("unsupported exclude pattern");
  expect(treeReceiver("/srv/app dir", ["/work", "*.nacl"])).toContain(`case "$f" in "$n"|work|*.nacl) continue ;; esac`);
  const root = tempDir();
  write(join(root, "src"), "a", "a\n");
  expect(shipTree(join(root, "src"), join(root, "new/deeper"), []).status).toBe(0);
  expect(readFileSync(join(root, "new/deeper/a"), "utf8")).toBe("a\n");
});
