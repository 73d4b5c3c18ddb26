/**
 * Deployment locks and `batou lock release`: a file that holds no lock is
 * taken over, a lock from another machine is refused with how to remove it,
 * a path that is a directory or symlink is a clean error, and `lock release`
 * removes exactly what no deployment holds any more.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { acquireLock, inspectLock, LockError, type LockInfo, ownLockInfo } from "../../lib/engine/lock-file.ts";
import { processStartTime } from "../../lib/engine/process-info.ts";
import { ensureCompiled, localEnvironment, RUNNERS, runBatou, tempProject } from "../helpers/project.ts";

// Each test runs batou as a child process, some several times.
setDefaultTimeout(60_000);

const dir = mkdtempSync(join(tmpdir(), "batou-lock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const lockPath = () => join(dir, `lock-${n++}`);

/** A holder on another machine, or a dead process here. */
const foreign: LockInfo = { user: "alice", machine: "elsewhere.example", pid: 4242, time: "2024-01-01T00:00:00Z", version: "0.1.0", environment: "prod" };
const deadPid = () => {
  const child = Bun.spawnSync(["true"]);
  return child.pid;
};

function refusal(path: string, release?: string): LockError {
  try {
    acquireLock(path, ownLockInfo("prod"), 'environment "prod"', release ? { release } : {}).release();
  } catch (error) {
    expect(error).toBeInstanceOf(LockError);
    return error as LockError;
  }
  throw new Error("the lock was taken");
}

describe("acquireLock", () => {
  test.each([["{}"], ['{"user":"x"}'], ["[]"], ["null"], ["not json"], [""]])("a file holding %j is no lock: taken over", (text) => {
    const path = lockPath();
    writeFileSync(path, text);
    const lock = acquireLock(path, ownLockInfo("prod"), 'environment "prod"');
    expect(JSON.parse(readFileSync(path, "utf8")).pid).toBe(process.pid);
    lock.release();
    expect(existsSync(path)).toBe(false);
  });

  test("a lock from another machine is refused, saying that batou cannot tell and how to remove it", () => {
    const path = lockPath();
    writeFileSync(path, JSON.stringify(foreign));
    const error = refusal(path, "run `batou lock release prod`");
    expect(error.message).toBe('environment "prod" is locked by another deployment');
    expect(error.context["held by"]).toBe("alice@elsewhere.example (pid 4242, batou 0.1.0) since 2024-01-01T00:00:00Z");
    expect(error.context.hint).toBe(
      `it was taken on elsewhere.example, and batou cannot tell from ${hostname()} whether that process still runs; if it does not, run \`batou lock release prod\``,
    );
    expect(refusal(path).context.hint).toEndWith(`if it does not, remove ${path}`);
    expect(existsSync(path)).toBe(true);
  });

  test("a live holder on this machine is refused; one whose process is gone is taken over", () => {
    const path = lockPath();
    writeFileSync(path, JSON.stringify({ ...ownLockInfo("prod"), pid: process.pid, pidStart: processStartTime(process.pid) }));
    expect(refusal(path).context.hint).toStartWith(`wait for it to finish (pid ${process.pid} is running on this machine)`);
    writeFileSync(path, JSON.stringify({ ...ownLockInfo("prod"), pid: deadPid() }));
    const lock = acquireLock(path, ownLockInfo("prod"), 'environment "prod"');
    expect(lock.tookOver).toBeDefined();
    lock.release();
  });

  test("a directory or symlink at the lock path is a clean error, left alone", () => {
    const path = lockPath();
    mkdirSync(path);
    const error = refusal(path);
    expect(error.message).toBe('cannot lock environment "prod": its lock path is a directory, not a lock file');
    expect(statSync(path).isDirectory()).toBe(true);

    const target = join(dir, "target.json");
    writeFileSync(target, JSON.stringify(foreign));
    const link = lockPath();
    symlinkSync(target, link);
    expect(refusal(link).message).toBe('cannot lock environment "prod": its lock path is a symlink, not a lock file');
    expect(inspectLock(link)).toEqual({ kind: "not-a-file", type: "symlink" });
    expect(existsSync(target)).toBe(true);
  });
});

describe("batou lock release and deploy", () => {
  beforeAll(() => ensureCompiled(), 300_000);
  const APP = `import { Component, File } from "batou";\nexport class App extends Component {\n  configure() {\n    this.add(new File("a.txt", { content: "a\\n" }));\n  }\n}\n`;
  const projects: ReturnType<typeof tempProject>[] = [];
  afterAll(() => projects.forEach((project) => project.cleanup()));
  const fresh = () => {
    const project = tempProject({ "environments/dev.toml": localEnvironment(["app"]), "components/app/component.ts": APP });
    projects.push(project);
    mkdirSync(join(project.dir, "work"), { recursive: true });
    return project;
  };
  const LOCK = "work/.batou-lock-dev";

  for (const runner of RUNNERS) {
    describe(runner.name, () => {
      test("a lock holding {} does not block a deploy", () => {
        const project = fresh();
        project.write(LOCK, "{}");
        const r = runBatou(runner, ["deploy", "dev"], project.dir);
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
        expect(project.exists(LOCK)).toBe(false);
      });

      test("a lock from another machine: deploy names lock release, which removes it, and the deploy works", () => {
        const project = fresh();
        project.write(LOCK, JSON.stringify({ ...foreign, environment: "dev" }));
        const refused = runBatou(runner, ["deploy", "dev"], project.dir);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain('ERROR: environment "dev" is locked by another deployment');
        expect(refused.stderr).toContain("if it does not, run `batou lock release dev`");
        expect(refused.stderr).not.toContain("taken over automatically");
        const released = runBatou(runner, ["lock", "release", "dev"], project.dir);
        expect(released.code).toBe(0);
        expect(released.stdout).toBe(
          `batou lock: released the lock of environment "dev" (${LOCK}), held by alice@elsewhere.example (pid 4242, batou 0.1.0) since 2024-01-01T00:00:00Z on another machine\n`,
        );
        expect(project.exists(LOCK)).toBe(false);
        expect(runBatou(runner, ["deploy", "dev"], project.dir).code).toBe(0);
        const again = runBatou(runner, ["lock", "release", "dev"], project.dir);
        expect(again.code).toBe(0);
        expect(again.stdout).toBe(`batou lock: environment "dev" is not locked on this machine (no ${LOCK})\n`);
      });

      test("a lock path that is a directory: a clean error from deploy and from lock release, left alone", () => {
        const project = fresh();
        mkdirSync(join(project.dir, LOCK));
        const deploy = runBatou(runner, ["deploy", "dev"], project.dir);
        expect(deploy.code).toBe(1);
        expect(deploy.stderr).toContain('ERROR: cannot lock environment "dev": its lock path is a directory, not a lock file');
        expect(deploy.output).not.toContain("unexpected error");
        const release = runBatou(runner, ["lock", "release", "dev"], project.dir);
        expect(release.code).toBe(1);
        expect(release.stderr).toStartWith(`ERROR: cannot release the lock of environment "dev": ${LOCK} is a directory, not a lock file\n`);
        expect(statSync(join(project.dir, LOCK)).isDirectory()).toBe(true);
      });
    });
  }

  test("lock release refuses a running deployment, removes a dead one's and garbage, and checks the environment", () => {
    const runner = RUNNERS[0]!;
    const project = fresh();
    const sleeper = Bun.spawn(["sleep", "60"]);
    try {
      project.write(LOCK, JSON.stringify({ ...ownLockInfo("dev"), pid: sleeper.pid, pidStart: processStartTime(sleeper.pid) }));
      const refused = runBatou(runner, ["lock", "release", "dev"], project.dir);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('ERROR: cannot release the lock of environment "dev": the deployment that holds it is still running');
      expect(refused.stderr).toContain(`hint: stop it (Ctrl-C where it runs, or kill ${sleeper.pid}); it releases its lock when it ends`);
      expect(project.exists(LOCK)).toBe(true);
    } finally {
      sleeper.kill();
    }
    project.write(LOCK, JSON.stringify({ ...ownLockInfo("dev"), pid: deadPid() }));
    const dead = runBatou(runner, ["lock", "release", "dev"], project.dir);
    expect(dead.code).toBe(0);
    expect(dead.stdout).toContain(", whose process is gone\n");
    project.write(LOCK, "{}");
    expect(runBatou(runner, ["lock", "release", "dev"], project.dir).stdout).toContain("which held no lock information");
    expect(project.exists(LOCK)).toBe(false);
    const unknown = runBatou(runner, ["lock", "release", "../../etc"], project.dir);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toStartWith('ERROR: invalid environment name "../../etc"');
  });
});
