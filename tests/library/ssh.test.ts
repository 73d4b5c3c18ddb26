/**
 * `AuthorizedKeys`, `KnownHost` and `KeyPair` locally, with keys made and
 * read by the real `ssh-keygen` (files in the project: never this machine's
 * own ~/.ssh). The login through sshd is tested over SSH in
 * remote-components.test.ts.
 */
import { afterAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupProjects, deploy, makeProject, scratchDir, type Project } from "./helpers.ts";
import { hostFieldMatches, parsePublicKey } from "../../lib/library/ssh-keys.ts";

afterAll(cleanupProjects);
setDefaultTimeout(60_000);

function sshKeygen(...args: string[]): string {
  const r = Bun.spawnSync(["ssh-keygen", ...args]);
  if (r.exitCode !== 0) throw new Error(`ssh-keygen ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.toString();
}

/** A fresh public key line made by ssh-keygen. */
function newKey(comment: string, type = "ed25519"): string {
  const file = join(scratchDir("batou-sshkey-"), "key");
  sshKeygen("-q", "-t", type, "-N", "", "-C", comment, "-f", file);
  return readFileSync(`${file}.pub`, "utf8").trim();
}

const project = (body: string, imports: string): Project =>
  makeProject({ "components/app/component.ts": `import { Component, ${imports} } from "batou";\nexport class App extends Component {\n  configure() { ${body} }\n}\n` }, ["app"]);

const rewrite = (p: Project, body: string, imports: string) =>
  p.write("components/app/component.ts", `import { Component, ${imports} } from "batou";\nexport class App extends Component {\n  configure() { ${body} }\n}\n`);

describe("ssh-keys (pure)", () => {
  test("a key line parses with options and comment; a blob that does not name its type is refused", () => {
    const line = newKey("alice@laptop");
    const [type, blob] = line.split(" ");
    expect(parsePublicKey(`from="10.0.0.0/8,192.168.0.1",no-pty ${line}`)).toEqual({ options: 'from="10.0.0.0/8,192.168.0.1",no-pty', type: type!, blob: blob!, comment: "alice@laptop" });
    expect(parsePublicKey(`ssh-rsa ${blob}`)).toBeUndefined();
    expect(parsePublicKey("ssh-ed25519 not-base64!")).toBeUndefined();
  });

  test("a hashed known_hosts entry (ssh-keygen -H) matches its host", () => {
    const file = join(scratchDir(), "known_hosts");
    writeFileSync(file, `git.example.com ${newKey("x")}\n`);
    sshKeygen("-H", "-f", file);
    const field = readFileSync(file, "utf8").split(" ")[0]!;
    expect(field).toStartWith("|1|");
    expect(hostFieldMatches(field, "git.example.com")).toBe(true);
    expect(hostFieldMatches(field, "other.example.com")).toBe(false);
  });
});

describe("AuthorizedKeys", () => {
  test("exactly the given keys (a key added by hand is removed), or adds only; diffs; mode 600 in a 700 folder", async () => {
    const [a, b, c] = [newKey("a@x"), newKey("b@x", "rsa"), newKey("c@x")];
    const p = project(`this.add(new AuthorizedKeys({ keys: ${JSON.stringify([a, b])}, path: "ssh/authorized_keys" }));`, "AuthorizedKeys");
    const file = join(p.work("app"), "ssh/authorized_keys");
    const predicted = await deploy(p, { predict: true });
    expect(predicted.errors).toEqual([]);
    expect(predicted.diffs.map((d) => d.path)).toEqual([file]);
    expect(existsSync(p.work("app"))).toBe(false);

    expect((await deploy(p)).errors).toEqual([]);
    expect(readFileSync(file, "utf8")).toBe(`${a}\n${b}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(p.work("app"), "ssh")).mode & 0o777).toBe(0o700);
    // ssh-keygen reads every line as a key
    expect(sshKeygen("-l", "-f", file).trim().split("\n").length).toBe(2);
    expect((await deploy(p)).changed).toEqual([]);

    writeFileSync(file, `${a}\n${c}\n${b}\n`);
    const removed = await deploy(p);
    expect(removed.diffs[0]?.diff).toContain(`-${c}`);
    expect(readFileSync(file, "utf8")).toBe(`${a}\n${b}\n`);

    writeFileSync(file, `# mine\n${c}\n${a.replace("a@x", "old comment")}\n`);
    rewrite(p, `this.add(new AuthorizedKeys({ keys: ${JSON.stringify([a, b])}, path: "ssh/authorized_keys", exclusive: false }));`, "AuthorizedKeys");
    expect((await deploy(p)).errors).toEqual([]);
    expect(readFileSync(file, "utf8")).toBe(`# mine\n${c}\n${a}\n${b}\n`);
    expect((await deploy(p)).changed).toEqual([]);
  });

  test("a line that is no public key is an error naming it", async () => {
    const run = await deploy(project(`this.add(new AuthorizedKeys({ keys: ["ssh-ed25519 AAAAnot-a-key"] }));`, "AuthorizedKeys"));
    expect(run.errors[0]?.message).toBe("key 1 is not an OpenSSH public key");
    expect(run.errors[0]?.context).toMatchObject({ component: "App > AuthorizedKeys", attribute: "keys" });
  });
});

describe("KnownHost", () => {
  test("the given key for the host (and port); an older key of the same type replaced; a hashed entry counts", async () => {
    const [hostKey, oldKey] = [newKey("root@git"), newKey("root@old")];
    const body = (key: string) =>
      `this.add(new KnownHost("git.example.com", { key: "${key}", path: "ssh/known_hosts" }));
    this.add(new KnownHost("10.1.2.3", { key: "${key}", port: 2222, path: "ssh/known_hosts" }));`;
    const p = project(`this.add(new Directory("ssh"));\n    ${body(oldKey)}`, "Directory, KnownHost");
    const file = join(p.work("app"), "ssh/known_hosts");
    expect((await deploy(p)).errors).toEqual([]);
    const [type, old] = oldKey.split(" ");
    expect(readFileSync(file, "utf8")).toBe(`git.example.com ${type} ${old}\n[10.1.2.3]:2222 ${type} ${old}\n`);
    writeFileSync(file, readFileSync(file, "utf8") + "# other hosts\nelse.example.com " + newKey("y") + "\n");

    rewrite(p, `this.add(new Directory("ssh"));\n    ${body(hostKey)}`, "Directory, KnownHost");
    const replaced = await deploy(p);
    expect(replaced.errors).toEqual([]);
    const blob = hostKey.split(" ")[1]!;
    const lines = readFileSync(file, "utf8").trim().split("\n");
    expect(lines.filter((line) => line.includes(old!))).toEqual([]);
    expect(lines).toContain(`git.example.com ${type} ${blob}`);
    expect(lines).toContain(`[10.1.2.3]:2222 ${type} ${blob}`);
    expect(lines.some((line) => line.startsWith("else.example.com "))).toBe(true);
    // ssh itself finds them
    expect(sshKeygen("-F", "[10.1.2.3]:2222", "-f", file)).toContain(blob);

    sshKeygen("-H", "-f", file);
    rmSync(`${file}.old`);
    const hashed = readFileSync(file, "utf8");
    expect((await deploy(p)).changed).toEqual([]);
    expect(readFileSync(file, "utf8")).toBe(hashed);
  });

  test("without a key: -P says it would scan; a host that does not answer is an error", async () => {
    const p = project(`this.add(new KnownHost("127.0.0.1", { port: 9, path: "known_hosts", timeout: 2 }));`, "KnownHost");
    const predicted = await deploy(p, { predict: true });
    expect(predicted.errors).toEqual([]);
    expect(predicted.logs).toContain(`scan [127.0.0.1]:9 with ssh-keyscan and add its keys to ${join(p.work("app"), "known_hosts")}`);
    const run = await deploy(p);
    expect(run.errors[0]?.message).toBe("ssh-keyscan found no keys for [127.0.0.1]:9");
    expect(existsSync(join(p.work("app"), "known_hosts"))).toBe(false);
  });
});

describe("KeyPair", () => {
  test("generated once and kept; a lost public key is written again from the private key; another type is refused", async () => {
    const p = project(`this.add(new Directory("keys", { mode: 0o700 }));\n    this.add(new KeyPair("keys/id_ed25519", { comment: "deploy@app" }));`, "Directory, KeyPair");
    const key = join(p.work("app"), "keys/id_ed25519");
    const predicted = await deploy(p, { predict: true });
    expect(predicted.errors).toEqual([]);
    expect(predicted.logs).toContain(`generate a ed25519 key pair: ${key}, ${key}.pub`);

    const first = await deploy(p);
    expect(first.errors).toEqual([]);
    const fingerprint = sshKeygen("-l", "-f", key);
    expect(fingerprint).toMatch(/^256 SHA256:\S+ deploy@app \(ED25519\)\n$/);
    expect(sshKeygen("-l", "-f", `${key}.pub`)).toBe(fingerprint);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    const secret = readFileSync(key, "utf8").split("\n")[1]!;
    expect(first.stdout + first.stderr).not.toContain(secret);

    expect((await deploy(p)).changed).toEqual([]);
    rmSync(`${key}.pub`);
    const restored = await deploy(p);
    expect(restored.logs).toEqual([`write ${key}.pub from the private key`]);
    expect(sshKeygen("-l", "-f", `${key}.pub`)).toBe(fingerprint);
    expect(readFileSync(key, "utf8").split("\n")[1]).toBe(secret);

    rewrite(p, `this.add(new Directory("keys", { mode: 0o700 }));\n    this.add(new KeyPair("keys/id_ed25519", { type: "rsa" }));`, "Directory, KeyPair");
    const refused = await deploy(p);
    expect(refused.errors[0]?.message).toBe(`${key} is a ssh-ed25519 key, not ssh-rsa; refusing to replace it`);
    expect(sshKeygen("-l", "-f", key)).toBe(fingerprint);
  });
});
