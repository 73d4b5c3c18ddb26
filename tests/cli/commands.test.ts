/**
 * Commands' own output: `secrets summary --json` and its text form with
 * hostile recipient comments (escaped), and what `batou init` writes and says.
 */
import { afterAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadIdentity } from "../../lib/secrets/identities.ts";
import { cli, editorScript, makeProject, sshKey, tempDir } from "../secrets/helpers.ts";
import { COMPILED, ensureCompiled, REPO } from "../helpers/project.ts";
import { readPin } from "../../lib/bootstrap/pin.ts";

// Each test runs batou as a child process, some several times.
setDefaultTimeout(60_000);

const tmp = tempDir("batou-cli-commands-");
afterAll(() => tmp.cleanup());

describe("batou secrets summary", () => {
  const keys = join(tmp.path, "keys");
  mkdirSync(keys);
  const alice = sshKey(keys, "alice");
  const root = join(tmp.path, "project");
  makeProject(root, [alice.pub]);
  const env = { HOME: tmp.path, BATOU_IDENTITY: alice.path };
  const edit = editorScript(tmp.path, "write.sh", `printf '[components.app]\\npassword = "sw0rdfish"\\n' > "$1"`);
  expect(cli(["edit", "prod"], { cwd: root, env: { ...env, EDITOR: edit } }).code).toBe(0);
  const fp = loadIdentity(alice.path, {}).fingerprint;

  test("--json: environments, recipients and files as one object", () => {
    writeFileSync(join(root, "environments", "staging", "secret-broken.nacl"), "garbage\n");
    const r = cli(["summary", "--json"], { cwd: root, env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("");
    const summary = JSON.parse(r.stdout);
    expect(summary).toEqual({
      ok: false,
      environments: [
        { name: "dev", recipients: [], files: [] },
        {
          name: "prod",
          recipientsFile: "environments/prod/recipients",
          recipients: [{ fingerprint: fp, comment: "alice@test", type: "ssh-ed25519" }],
          files: [{ name: null, path: "environments/prod/secrets.toml.nacl", recipients: 1, signer: { fingerprint: fp, comment: "alice@test" }, stale: false }],
        },
        {
          name: "staging",
          recipientsFile: "environments/staging/recipients",
          recipients: [{ fingerprint: fp, comment: "alice@test", type: "ssh-ed25519" }],
          files: [{ name: "broken", path: "environments/staging/secret-broken.nacl", problem: expect.stringContaining("environments/staging/secret-broken.nacl") }],
        },
      ],
    });
    expect(r.stdout).not.toContain("sw0rdfish");
  });

  test("a recipient comment with terminal escapes is shown escaped", () => {
    const recipients = join(root, "environments", "prod", "recipients");
    const original = readFileSync(recipients, "utf8");
    writeFileSync(recipients, original.replace("alice@test", "alice\x1b]0;pwned\x07\x1b[2J"));
    try {
      const r = cli(["summary"], { cwd: root, env });
      expect(r.stdout).toContain(`- ${fp}  alice\\x1b]0;pwned\\x07\\x1b[2J  ssh-ed25519`);
      expect(r.stdout).not.toContain("\x1b");
      expect(JSON.parse(cli(["summary", "--json"], { cwd: root, env }).stdout).environments[1].recipients[0].comment).toBe("alice\x1b]0;pwned\x07\x1b[2J");
    } finally {
      writeFileSync(recipients, original);
    }
  });
});

describe("batou init", () => {
  const init = (dir: string) => {
    const r = Bun.spawnSync([process.execPath, join(REPO, "batou.ts"), "init", dir], { cwd: tmp.path, env: { ...process.env, NO_COLOR: "1" } });
    return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  };

  test("the .gitignore keeps lock files out of git", () => {
    const dir = join(tmp.path, "fresh");
    expect(init(dir).code).toBe(0);
    const ignored = readFileSync(join(dir, ".gitignore"), "utf8").split("\n");
    expect(ignored).toContain(".secrets.lock");
    expect(ignored).toContain(".batou-lock");
    const git = (...args: string[]) => Bun.spawnSync(["git", ...args], { cwd: dir });
    git("init", "-q");
    mkdirSync(join(dir, "environments", "prod"));
    writeFileSync(join(dir, "environments", "prod", ".secrets.lock"), "{}");
    expect(git("check-ignore", "-q", "environments/prod/.secrets.lock").exitCode).toBe(0);
  });

  test("an existing batou.ts is kept, and it says so in a sentence", () => {
    const dir = join(tmp.path, "has-launcher");
    mkdirSync(dir);
    writeFileSync(join(dir, "batou.ts"), "// mine\n");
    const r = init(dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("batou init: kept batou.ts (it exists already)\n");
    expect(readFileSync(join(dir, "batou.ts"), "utf8")).toBe("// mine\n");
    const again = init(dir);
    expect(again.stdout).toMatch(/batou init: kept batou\.ts, [^\n]*environments\/dev\.toml[^\n]* \(they exist already\)\n/);
    expect(existsSync(join(dir, "components", "hello", "component.ts"))).toBe(true);
  });

  test("the compiled executable (dist/batou) writes the same launcher as the source", async () => {
    await ensureCompiled();
    const fromSource = join(tmp.path, "init-source");
    const compiled = join(tmp.path, "init-compiled");
    expect(init(fromSource).code).toBe(0);
    const r = Bun.spawnSync([COMPILED, "init", compiled], { cwd: tmp.path, env: { ...process.env, NO_COLOR: "1" } });
    expect(r.stderr.toString()).toBe("");
    expect(r.exitCode).toBe(0);
    const launcher = readFileSync(join(compiled, "batou.ts"), "utf8");
    expect(launcher).toBe(readFileSync(join(fromSource, "batou.ts"), "utf8"));
    expect(readPin(launcher).version).not.toBe("");
    expect(existsSync(join(compiled, "components", "hello", "component.ts"))).toBe(true);
  });
});
