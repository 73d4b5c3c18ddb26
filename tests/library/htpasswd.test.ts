/**
 * `Htpasswd` against Apache's `htpasswd -v` (apache2-utils): bcrypt entries
 * that verify, kept byte for byte while the passwords still verify, and no
 * password in any output.
 */
import { afterAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { appProject, cleanupProjects, deploy, type Project } from "./helpers.ts";

afterAll(cleanupProjects);
setDefaultTimeout(60_000);

const hasHtpasswd = Bun.spawnSync(["sh", "-c", "command -v htpasswd"]).exitCode === 0;

/** `htpasswd -v`: does `password` verify for `user` in `file`? */
function verifies(file: string, user: string, password: string): boolean {
  return Bun.spawnSync(["htpasswd", "-v", "-b", file, user, password], { stderr: "pipe" }).exitCode === 0;
}

const component = (users: Record<string, string>) =>
  `import { Component, Htpasswd } from "batou";\nexport class App extends Component {\n  configure() { this.add(new Htpasswd("htpasswd", { users: ${JSON.stringify(users)}, cost: 5 })); }\n}\n`;

const PASSWORDS = { alice: "al1ce-Secret", bob: "b0b-Passw0rd" };

function expectNoPassword(run: { stdout: string; stderr: string }, ...passwords: string[]): void {
  for (const password of passwords) expect(run.stdout + run.stderr).not.toContain(password);
}

describe.skipIf(!hasHtpasswd)("Htpasswd (htpasswd -v)", () => {
  test("bcrypt entries htpasswd verifies; stable across deploys; a changed password rehashes only that user", async () => {
    const p: Project = appProject("", "Htpasswd");
    p.write("components/app/component.ts", component({ bob: PASSWORDS.bob, alice: PASSWORDS.alice }));
    const file = join(p.work("app"), "htpasswd");

    const predicted = await deploy(p, { predict: true });
    expect(predicted.errors).toEqual([]);
    expect(predicted.logs).toEqual([`would create the work directory ${p.work("app")}`, `${file}: add alice, bob`]);
    expect(existsSync(p.work("app"))).toBe(false);
    expectNoPassword(predicted, ...Object.values(PASSWORDS));

    const first = await deploy(p);
    expect(first.errors).toEqual([]);
    const written = readFileSync(file, "utf8");
    expect(written).toMatch(/^alice:\$2b\$05\$\S{53}\nbob:\$2b\$05\$\S{53}\n$/);
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(verifies(file, "alice", PASSWORDS.alice)).toBe(true);
    expect(verifies(file, "bob", PASSWORDS.bob)).toBe(true);
    expect(verifies(file, "bob", PASSWORDS.alice)).toBe(false);
    expectNoPassword(first, ...Object.values(PASSWORDS));

    const second = await deploy(p);
    expect(second.changed).toEqual([]);
    expect(readFileSync(file, "utf8")).toBe(written);

    p.write("components/app/component.ts", component({ alice: PASSWORDS.alice, bob: "n3w-bob-pass" }));
    const changed = await deploy(p);
    expect(changed.logs).toEqual([`${file}: new password for bob`]);
    const after = readFileSync(file, "utf8").split("\n");
    expect(after[0]).toBe(written.split("\n")[0]!);
    expect(verifies(file, "bob", "n3w-bob-pass")).toBe(true);
    expect(verifies(file, "bob", PASSWORDS.bob)).toBe(false);
    expectNoPassword(changed, "n3w-bob-pass", PASSWORDS.bob);

    p.write("components/app/component.ts", component({ alice: PASSWORDS.alice }));
    const removed = await deploy(p);
    expect(removed.logs).toEqual([`${file}: remove bob`]);
    expect(readFileSync(file, "utf8")).toBe(written.split("\n")[0] + "\n");
  });

  test("a hash htpasswd made ($2y$) is kept while it verifies; a user added by hand is removed; the mode is restored", async () => {
    const p = appProject("", "Htpasswd");
    p.write("components/app/component.ts", component({ alice: PASSWORDS.alice }));
    const file = join(p.work("app"), "htpasswd");
    expect((await deploy(p)).errors).toEqual([]);
    expect(Bun.spawnSync(["htpasswd", "-B", "-C", "5", "-b", file, "alice", PASSWORDS.alice]).exitCode).toBe(0);
    const apache = readFileSync(file, "utf8");
    expect(apache).toMatch(/^alice:\$2y\$05\$/);
    expect((await deploy(p)).changed).toEqual([]);
    expect(readFileSync(file, "utf8")).toBe(apache);

    writeFileSync(file, apache + "mallory:$2y$05$abcdefghijklmnopqrstuuNUbF2sEMHZbdTvyFl0bOSwqzORzqQ1y\n");
    const run = await deploy(p);
    expect(run.logs).toEqual([`${file}: remove mallory`]);
    expect(readFileSync(file, "utf8")).toBe(apache);

    Bun.spawnSync(["chmod", "666", file]);
    const mode = await deploy(p);
    expect(mode.logs).toEqual([`${file}: mode 666 → 640`]);
    expect(statSync(file).mode & 0o777).toBe(0o640);
  });

  test("bad input names the component, the attribute and what was expected", async () => {
    const p = appProject(`this.add(new Htpasswd("htpasswd", { users: { "a:b": "pw" } }));`, "Htpasswd");
    const run = await deploy(p);
    expect(run.errors[0]?.message).toBe('invalid user name "a:b"');
    expect(run.errors[0]?.context).toMatchObject({ component: "App > Htpasswd('htpasswd')", attribute: "users" });
    const empty = appProject(`this.add(new Htpasswd("htpasswd", { users: { carol: "" } }));`, "Htpasswd");
    expect((await deploy(empty)).errors[0]?.message).toBe('user "carol" has no password');
  });
});
