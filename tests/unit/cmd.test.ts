/** runCommand: a missing working directory, outside and under -P (an empty stand-in), and through a component's cmd(). */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { MissingDirectoryError, runCommand } from "../../lib/engine/cmd.ts";
import { Component, UpdateNeeded } from "../../lib/batou.ts";
import { cleanupModels, model } from "../helpers/model.ts";
import { tempDir as sharedTempDir } from "../helpers/temp.ts";

const scratch: string[] = [];
afterEach(() => {
  cleanupModels();
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A temporary folder removed after the test. */
function tempDir(): string {
  const dir = sharedTempDir("batou-cmd-").path;
  scratch.push(dir);
  return dir;
}

describe("runCommand and a missing working directory", () => {
  test("outside -P: an error naming the command and the directory, not the spawn's ENOENT", async () => {
    const missing = join(tempDir(), "nope");
    const error = await runCommand("true", { cwd: missing }).catch((e) => e);
    expect(error).toBeInstanceOf(MissingDirectoryError);
    expect(error.message).toBe(`cannot run "true": its working directory ${missing} does not exist`);
    expect(error.context).toMatchObject({ command: "true", directory: missing });
    expect(existsSync(missing)).toBe(false);
  });

  test("a file is no working directory either", async () => {
    const error = await runCommand("true", { cwd: "/etc/hostname" }).catch((e) => e);
    expect(error).toBeInstanceOf(MissingDirectoryError);
  });

  test("under -P: the command runs in an empty stand-in, which is removed afterwards with what the command wrote", async () => {
    const missing = join(tempDir(), "work/app");
    const result = await runCommand("pwd; ls -A; touch leftover; test -f data/.initialized", { cwd: missing, ignoreReturnCode: true }, { predicting: true });
    const [pwd, ...listing] = result.stdout.trim().split("\n");
    expect(pwd).toContain("batou-predict-");
    expect(listing).toEqual([]);
    expect(result.code).toBe(1);
    expect(existsSync(pwd!)).toBe(false);
    expect(existsSync(missing)).toBe(false);
  });

  test("under -P an existing directory is used as it is", async () => {
    const dir = tempDir();
    expect((await runCommand("pwd", { cwd: dir }, { predicting: true })).stdout.trim()).toBe(dir);
  });
});

describe("a component's cmd() in a work directory that does not exist yet", () => {
  class Checker extends Component {
    seen = "";
    override async verify() {
      this.seen = (await this.cmd("pwd; ls -A")).stdout;
      throw new UpdateNeeded();
    }
  }

  test("under -P verify() runs it in an empty stand-in; the deploy creates the directory and runs it there", async () => {
    const m = model({ components: { checker: Checker }, hosts: { localhost: ["checker"] } });
    m.configure();
    const checker = m.component<Checker>("checker");
    const events = await m.deploy({ predicting: true });
    expect(checker.seen).toContain("batou-predict-");
    expect(checker.seen.trim().split("\n")).toHaveLength(1);
    expect(existsSync(checker.workdir)).toBe(false);
    expect(events).toContainEqual(expect.objectContaining({ event: "log", message: `would create the work directory ${checker.workdir}` }));
    await m.deploy();
    expect(checker.seen.trim()).toBe(checker.workdir);
  });
});
