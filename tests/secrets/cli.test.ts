import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { loadIdentity } from "../../lib/secrets/identities.ts";
import { lockSecrets } from "../../lib/secrets/edit-lock.ts";
import { loadSecrets } from "../../lib/secrets/store.ts";
import { parseRecipients } from "../../lib/secrets/recipients.ts";
import { cli, editorScript, makeProject, sshKey, tempDir } from "./helpers.ts";
import { sealV1 } from "./v1-fixture.ts";
import { waitFor } from "../helpers/wait.ts";

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const keys = join(tmp.path, "keys");
mkdirSync(keys);
const alice = sshKey(keys, "alice");
const bob = sshKey(keys, "bob", "bob pass");
const carol = sshKey(keys, "carol");
const home = join(tmp.path, "home");
mkdirSync(home);
const editTmp = join(tmp.path, "edit-tmp");
mkdirSync(editTmp);
const root = join(tmp.path, "project");
const prod = join(root, "environments", "prod");
const staging = join(root, "environments", "staging");

/** Runs `batou secrets ...` as alice (or `as`), in the project, with no terminal. */
function run(args: string[], env: Record<string, string | undefined> = {}) {
  return cli(args, { cwd: root, env: { HOME: home, TMPDIR: editTmp, BATOU_IDENTITY: alice.path, EDITOR: "false", ...env } });
}
const read = (path: string) => readFileSync(path, "utf8");
const setTo = (content: string) =>
  editorScript(tmp.path, `set-${Bun.hash(content)}.sh`, `cat > "$1" <<'BATOU_EOF'\n${content}BATOU_EOF`);
const SECRETS = '[components.app]\ndb_password = "hunter2"\n\n[hosts.web1.data]\nroot = "r00t"\n';

beforeEach(() => {
  rmSync(root, { recursive: true, force: true });
  makeProject(root, [alice.pub]);
});

describe("batou secrets edit", () => {
  test("creates, re-edits (sed) and stores secrets.toml and secret files", async () => {
    let r = run(["edit", "prod"], { EDITOR: setTo(SECRETS) });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Created environments/prod/secrets.toml.nacl");
    expect(read(join(prod, "secrets.toml.nacl"))).toStartWith("-----BEGIN BATOU SECRETS v2-----\nEnvironment: prod\nFile: secrets.toml.nacl\n");
    expect(read(join(prod, "secrets.toml.nacl"))).not.toContain("hunter2");

    r = run(["edit", "prod"], { EDITOR: editorScript(tmp.path, "sed.sh", 'sed -i "s/hunter2/hunter3/" "$1"') });
    expect(r.code).toBe(0);
    r = run(["edit", "prod", "app.key"], { EDITOR: setTo("line one\nline two\n") });
    expect(r.code).toBe(0);
    expect(existsSync(join(prod, "secret-app.key.nacl"))).toBe(true);

    const secrets = await loadSecrets(root, "prod", [loadIdentity(alice.path, {})]);
    expect(secrets.components).toEqual({ app: { db_password: "hunter3" } });
    expect(secrets.hosts).toEqual({ web1: { data: { root: "r00t" } } });
    expect(secrets.files).toEqual({ "app.key": "line one\nline two\n" });
    expect(readdirSync(editTmp)).toEqual([]);
    expect(existsSync(join(prod, ".secrets.lock"))).toBe(false);
  });

  test("warns about secret values output masking cannot protect (short values, booleans), never showing them", () => {
    const r = run(["edit", "prod"], { EDITOR: setTo('[components.app]\npin = 42\nlong = "long enough"\non = true\ncodes = ["abc", 12345]\n') });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Warning: components.app.pin is only 2 character(s) long: values shorter than 4 are not masked in output.");
    expect(r.stdout).toContain('Warning: components.app.on is a boolean: batou masks every "true" in its output');
    expect(r.stdout).toContain("Warning: components.app.codes[0] is only 3 character(s) long");
    expect(r.stdout).not.toContain("long enough");
    expect(r.stdout).not.toContain("codes[1]");
    expect(r.stdout).not.toContain("abc");
  });

  test("a user who is not a recipient cannot seal: refused before the editor runs", () => {
    const marker = join(tmp.path, "editor-ran");
    rmSync(marker, { force: true });
    const r = run(["edit", "prod"], { BATOU_IDENTITY: carol.path, EDITOR: editorScript(tmp.path, "mark.sh", `touch ${marker}`) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("none of your identities is a recipient in environments/prod/recipients, so nothing you seal for it would be accepted");
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(join(prod, "secrets.toml.nacl"))).toBe(false);
  });

  test("an unsigned v1 file is signed on the next edit, even without changes", () => {
    writeFileSync(join(prod, "secret-old.nacl"), sealV1("old content\n", parseRecipients(alice.pub, "r")));
    const r = run(["edit", "prod", "old"], { EDITOR: "true" });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("environments/prod/secret-old.nacl is not signed (format v1, from an older batou): saving signs it.");
    expect(r.stdout).toContain(`Signed environments/prod/secret-old.nacl (sealed to 1 recipient(s), signed by ${loadIdentity(alice.path, {}).fingerprint} alice@test).`);
    expect(read(join(prod, "secret-old.nacl"))).toStartWith("-----BEGIN BATOU SECRETS v2-----\n");
    expect(run(["decrypttostdout", join(prod, "secret-old.nacl")]).stdout).toBe("old content\n");
    expect(run(["edit", "prod", "old"], { EDITOR: "true" }).stdout).toContain("No changes; environments/prod/secret-old.nacl is unchanged.");
  });

  test("keys the model does not know are listed with the known names (no terminal: saved with warnings)", () => {
    mkdirSync(join(root, "components", "app"), { recursive: true });
    writeFileSync(join(root, "components", "app", "component.ts"), 'import { Component } from "batou";\nexport class App extends Component {\n  db_password = "";\n  port = 0;\n}\n');
    writeFileSync(join(prod, "environment.toml"), '[environment]\nconnect_method = "local"\n[hosts.web1]\ncomponents = ["app"]\n');
    const r = run(["edit", "prod"], {
      EDITOR: setTo('[components.app]\ndb_pasword = "hunter2"\nport = "eighty"\n[components.ap]\nx = "y-value"\n[hosts.web2.data]\nroot = "r00t-pw"\n'),
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Warning: components.app.db_pasword: App has no attribute "db_pasword"; known: db_password, port.');
    expect(r.stdout).toContain("Warning: components.app.port: the value does not fit: expected number, got string.");
    expect(r.stdout).toContain('Warning: [components.ap]: the project has no component "ap"; known: app.');
    expect(r.stdout).toContain('Warning: [hosts.web2.data]: environment prod has no host "web2"; known: web1.');
    expect(r.stdout + r.stderr).not.toMatch(/hunter2|eighty|y-value|r00t-pw/);
    expect(r.stdout).toContain("Created environments/prod/secrets.toml.nacl");
    const fine = run(["edit", "prod"], { EDITOR: setTo('[components.app]\ndb_password = "hunter2"\n[hosts.web1.data]\nroot = "r00t-pw"\n') });
    expect(fine.stdout).not.toContain("Warning");
  });

  test("the cleartext lives in a private temp dir that is removed afterwards", () => {
    const spy = join(tmp.path, "spy.txt");
    const editor = editorScript(
      tmp.path,
      "spy.sh",
      `stat -c '%a' "$(dirname "$1")" > ${spy}; stat -c '%a' "$1" >> ${spy}; echo "$1" >> ${spy}; echo 'x' > "$1"`,
    );
    expect(run(["edit", "prod", "f"], { EDITOR: editor }).code).toBe(0);
    const [dirMode, fileMode, path] = read(spy).trim().split("\n");
    expect([dirMode, fileMode]).toEqual(["700", "600"]);
    expect(path.startsWith(editTmp)).toBe(true);
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(editTmp)).toEqual([]);
  });

  test("invalid TOML without a terminal fails with the line, keeps the old file and no cleartext", () => {
    expect(run(["edit", "prod"], { EDITOR: setTo(SECRETS) }).code).toBe(0);
    const before = read(join(prod, "secrets.toml.nacl"));
    const r = run(["edit", "prod"], { EDITOR: editorScript(tmp.path, "break.sh", `printf '[components.app]\\nx = \\n' > "$1"`) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("environments/prod/secrets.toml.nacl (your edit):2:");
    expect(r.stderr).toContain("invalid TOML");
    expect(r.stderr).toContain("Nothing was saved");
    expect(read(join(prod, "secrets.toml.nacl"))).toBe(before);
    expect(readdirSync(editTmp)).toEqual([]);
    expect(existsSync(join(prod, ".secrets.lock"))).toBe(false);

    const wrongShape = run(["edit", "prod"], { EDITOR: setTo('[environment]\nhost_domain = "x"\n') });
    expect(wrongShape.code).toBe(1);
    expect(wrongShape.stderr).toContain('unexpected key "environment"');
    expect(read(join(prod, "secrets.toml.nacl"))).toBe(before);
  });

  test("a failing editor or no change leaves the file byte-identical", () => {
    expect(run(["edit", "prod"], { EDITOR: setTo(SECRETS) }).code).toBe(0);
    const before = read(join(prod, "secrets.toml.nacl"));
    const failed = run(["edit", "prod"], { EDITOR: "false" });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("editor `false` exited with status 1");
    const same = run(["edit", "prod"], { EDITOR: "true" });
    expect(same.code).toBe(0);
    expect(same.stdout).toContain("No changes");
    expect(read(join(prod, "secrets.toml.nacl"))).toBe(before);
    expect(readdirSync(editTmp)).toEqual([]);
  });

  test("a second editor fails naming the holder; a dead holder's lock is taken over", () => {
    const lock = lockSecrets(prod, "batou secrets edit prod (other user)");
    try {
      const r = run(["edit", "prod"], { EDITOR: setTo(SECRETS) });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("locked by");
      expect(r.stderr).toContain(`@${hostname()} (pid ${process.pid}, "batou secrets edit prod (other user)"`);
      expect(r.stderr).toContain("environments/prod/.secrets.lock");
    } finally {
      lock.release();
    }
    const dead = { user: "x", machine: hostname(), pid: 2 ** 22 + 12345, time: "then", version: "0", environment: "prod", purpose: "crashed" };
    writeFileSync(join(prod, ".secrets.lock"), JSON.stringify(dead));
    expect(run(["edit", "prod"], { EDITOR: setTo(SECRETS) }).code).toBe(0);
    expect(existsSync(join(prod, ".secrets.lock"))).toBe(false);
  });

  test("clear errors: malformed recipients, single-file and unknown environments, bad names", () => {
    writeFileSync(join(prod, "recipients"), `${alice.pub}\n\n# x\nssh-dss AAAA bad\n`);
    let r = run(["edit", "prod"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('environments/prod/recipients:4: unsupported key type "ssh-dss"');
    r = run(["edit", "dev"]);
    expect(r.stderr).toContain("environment dev is a single file (environments/dev.toml)");
    r = run(["edit", "qa"]);
    expect(r.stderr).toContain('unknown environment "qa"; known: dev, prod, staging');
    r = run(["edit", "staging", "../x"]);
    expect(r.stderr).toContain('invalid secret file name "../x"');
    expect(r.code).toBe(1);
  });
});

describe("batou secrets add / remove / reencrypt", () => {
  const secretsOf = (env: string) => join(root, "environments", env, "secrets.toml.nacl");
  const bobEnv = { BATOU_IDENTITY: bob.path, BATOU_IDENTITY_PASSPHRASE: "bob pass" };
  const setup = () => {
    for (const env of ["prod", "staging"]) {
      expect(run(["edit", env], { EDITOR: setTo(SECRETS) }).code).toBe(0);
      expect(run(["edit", env, "tls.key"], { EDITOR: setTo("KEY\n") }).code).toBe(0);
    }
  };

  test("add a .pub file to one environment: a small diff, the new key opens it", () => {
    setup();
    const before = read(secretsOf("prod"));
    const stagingBefore = read(secretsOf("staging"));
    expect(run(["decrypttostdout", secretsOf("prod")], bobEnv).code).toBe(1);
    const r = run(["add", `${bob.path}.pub`, "--environments", "prod"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("environments/prod/recipients: added");
    expect(read(join(prod, "recipients"))).toContain(bob.pub);
    const after = read(secretsOf("prod"));
    const old = new Set(before.split("\n"));
    expect(after.split("\n").filter((l) => !old.has(l)).length).toBeLessThanOrEqual(6);
    expect(run(["decrypttostdout", secretsOf("prod")], bobEnv).stdout).toBe(SECRETS);
    expect(read(secretsOf("staging"))).toBe(stagingBefore);
    expect(run(["add", bob.pub, "--environments", "prod"]).stdout).toContain("is a recipient already");
  });

  test("remove (by comment) rekeys so the removed key can no longer open", () => {
    setup();
    expect(run(["add", ...bob.pub.split(" ")]).code).toBe(0); // unquoted key words, all environments
    expect(run(["decrypttostdout", join(staging, "secret-tls.key.nacl")], bobEnv).stdout).toBe("KEY\n");
    const self = run(["remove", "alice@test", "--environments", "prod"]);
    expect(self.code).toBe(1);
    expect(self.stderr).toContain("none of your identities is a recipient in environments/prod/recipients after this change");
    expect(read(join(prod, "recipients"))).toContain(alice.pub);
    const r = run(["remove", "bob@test"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("re-encrypted with a new key");
    expect(read(join(prod, "recipients"))).not.toContain(bob.pub);
    expect(read(join(prod, "recipients"))).toContain("# team");
    for (const env of ["prod", "staging"]) {
      const denied = run(["decrypttostdout", secretsOf(env)], bobEnv);
      expect(denied.code).toBe(1);
      expect(denied.stderr).toContain("none of your identities can open this file");
      expect(run(["decrypttostdout", secretsOf(env)]).stdout).toBe(SECRETS);
    }
    const again = run(["remove", "bob@test"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("bob@test is not a recipient of any selected environment");
  });

  test("reencrypt after editing recipients by hand; unchanged files stay byte-identical unless -f", () => {
    setup();
    writeFileSync(join(prod, "recipients"), `${alice.pub}\n${carol.pub}\n`);
    expect(run(["decrypttostdout", secretsOf("prod")], { BATOU_IDENTITY: carol.path }).code).toBe(1);
    const stagingBefore = read(secretsOf("staging"));
    let r = run(["reencrypt"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("environments/staging/secrets.toml.nacl: unchanged");
    expect(read(secretsOf("staging"))).toBe(stagingBefore);
    expect(run(["decrypttostdout", join(prod, "secret-tls.key.nacl")], { BATOU_IDENTITY: carol.path }).stdout).toBe("KEY\n");

    writeFileSync(join(prod, "recipients"), `${carol.pub}\n`); // alice leaves, by hand
    const prodNow = read(secretsOf("prod"));
    // alice can no longer sign for prod, and carol must vouch (-f) for files alice signed
    r = run(["reencrypt", "--environments", "prod"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("none of your identities is a recipient in environments/prod/recipients");
    r = run(["reencrypt", "--environments", "prod"], { BATOU_IDENTITY: carol.path });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`signed by ${loadIdentity(alice.path, {}).fingerprint} alice@test, who is not a recipient in environments/prod/recipients`);
    expect(r.stderr).toContain("`batou secrets reencrypt -f --environments prod`");
    expect(read(secretsOf("prod"))).toBe(prodNow);
    r = run(["reencrypt", "-f", "--environments", "prod"], { BATOU_IDENTITY: carol.path });
    expect(r.code).toBe(0);
    expect(read(secretsOf("prod"))).not.toBe(prodNow);
    expect(run(["decrypttostdout", secretsOf("prod")]).code).toBe(1);
    expect(run(["decrypttostdout", secretsOf("prod")], { BATOU_IDENTITY: carol.path }).stdout).toBe(SECRETS);
    expect(run(["summary"]).code).toBe(0); // every file is signed by a recipient again
  });

  test("a user who cannot open the files changes nothing; unknown environments are listed", () => {
    setup();
    const recipientsBefore = read(join(prod, "recipients"));
    const r = run(["add", carol.pub, "--environments", "prod"], { BATOU_IDENTITY: carol.path });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("none of your identities can open this file");
    expect(read(join(prod, "recipients"))).toBe(recipientsBefore);
    const unknown = run(["add", carol.pub, "--environments", "prod,qa,test"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("unknown environment(s): qa, test; known: dev, prod, staging");
    const bad = run(["add", "ssh-ed25519", "AAAA"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("the key to add: invalid ssh-ed25519 key");
  });

  test("a low-order key (all zeros) cannot be added: files sealed to it would open without a private key", () => {
    setup();
    const before = read(join(prod, "recipients"));
    const sealedBefore = read(secretsOf("prod"));
    const r = run(["add", `batou-x25519 ${"A".repeat(43)}= mallory`, "--environments", "prod"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("the key to add: invalid batou-x25519 key: expected a key of full order (this is a low-order point");
    expect(read(join(prod, "recipients"))).toBe(before);
    expect(read(secretsOf("prod"))).toBe(sealedBefore);
  });
});

describe("batou secrets keygen / decrypttostdout / summary / usage", () => {
  test("keygen; the native key becomes a recipient and an identity", () => {
    const path = join(tmp.path, `native-${Date.now()}`, "id");
    const r = run(["keygen", path, "-C", "ci@build"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^batou-x25519 \S{88} ci@build$/); // X25519 key, then the signing key
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(run(["keygen", path]).stderr).toContain("exists already");
    expect(run(["edit", "prod", "token"], { EDITOR: setTo("t0ken\n") }).code).toBe(0);
    expect(run(["add", r.stdout.trim(), "--environments", "prod"]).code).toBe(0);
    const d = run(["decrypttostdout", "environments/prod/secret-token.nacl"], { BATOU_IDENTITY: path });
    expect(d.stdout).toBe("t0ken\n");
  });

  test("a batou key listed by an older batou (no signing key) gets it recorded when its owner seals", () => {
    const path = join(tmp.path, `legacy-${Date.now()}`, "id");
    const line = run(["keygen", path, "-C", "old@box"]).stdout.trim();
    const [type, key] = line.split(" ");
    const legacy = `${type} ${Buffer.from(key, "base64").subarray(0, 32).toString("base64")} old@box`;
    writeFileSync(join(prod, "recipients"), `${alice.pub}\n${legacy}\n`);
    const r = run(["edit", "prod", "token"], { BATOU_IDENTITY: path, EDITOR: setTo("t0ken\n") });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`environments/prod/recipients: recorded the signing key of ${loadIdentity(path, {}).fingerprint} old@box`);
    expect(read(join(prod, "recipients"))).toBe(`${alice.pub}\n${line}\n`);
    expect(run(["summary"]).code).toBe(0); // its signature is accepted now
  });

  test("keygen without PATH writes the default identity, used without BATOU_IDENTITY", () => {
    const xdg = join(tmp.path, "xdg");
    const r = run(["keygen"], { XDG_CONFIG_HOME: xdg, BATOU_IDENTITY: undefined });
    expect(r.code).toBe(0);
    expect(existsSync(join(xdg, "batou", "identity"))).toBe(true);
    writeFileSync(join(prod, "recipients"), `${r.stdout}`);
    expect(run(["edit", "prod", "x"], { EDITOR: setTo("xx\n"), XDG_CONFIG_HOME: xdg, BATOU_IDENTITY: undefined }).code).toBe(0);
    const d = run(["decrypttostdout", join(prod, "secret-x.nacl")], { XDG_CONFIG_HOME: xdg, BATOU_IDENTITY: undefined });
    expect(d.stdout).toBe("xx\n");
  });

  test("decrypttostdout is byte-exact, works with a passphrase from the environment, fails clearly", () => {
    writeFileSync(join(prod, "recipients"), `${bob.pub}\n`);
    const bobEnv = { BATOU_IDENTITY: bob.path, BATOU_IDENTITY_PASSPHRASE: "bob pass" };
    expect(run(["edit", "prod", "crlf"], { ...bobEnv, EDITOR: editorScript(tmp.path, "crlf.sh", `printf 'a\\r\\nb' > "$1"`) }).code).toBe(0);
    const ok = run(["decrypttostdout", join(prod, "secret-crlf.nacl")], bobEnv);
    expect(ok.code).toBe(0);
    expect([...ok.bytes]).toEqual([97, 13, 10, 98]);
    const noPass = run(["decrypttostdout", join(prod, "secret-crlf.nacl")], { BATOU_IDENTITY: bob.path });
    expect(noPass.code).toBe(1);
    expect(noPass.stderr).toContain("is passphrase-protected: set BATOU_IDENTITY_PASSPHRASE or run on a terminal");
    const missing = run(["decrypttostdout", "nope.nacl"]);
    expect(missing.stderr).toContain("nope.nacl: no such file");
  });

  test("summary lists environments, recipients with fingerprints and comments, and files", () => {
    expect(run(["edit", "prod", "cert.pem"], { EDITOR: setTo("C\n") }).code).toBe(0);
    writeFileSync(join(prod, "recipients"), `${alice.pub}\n${carol.pub}\n`);
    const r = run(["summary"]);
    expect(r.code).toBe(0);
    const fp = (pub: string) => loadIdentity(pub === alice.pub ? alice.path : carol.path, {}).fingerprint;
    expect(r.stdout).toContain("dev\n  no secrets (single-file environment)");
    expect(r.stdout).toContain(`    - ${fp(alice.pub)}  alice@test  ssh-ed25519`);
    expect(r.stdout).toContain(`    - ${fp(carol.pub)}  carol@test  ssh-ed25519`);
    expect(r.stdout).toContain(`    - cert.pem  1 recipient(s), signed by ${fp(alice.pub)} alice@test  (recipients differ: run batou secrets reencrypt)`);
    writeFileSync(join(staging, "recipients"), "garbage\n");
    const bad = run(["summary"]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("environments/staging/recipients:1:");
    // a bad line in prod's recipients: its files' signers cannot be judged, they are not called non-recipients
    writeFileSync(join(prod, "recipients"), `${alice.pub}\n${carol.pub}\ngarbage\n`);
    const unreadable = run(["summary"]);
    expect(unreadable.code).toBe(1);
    expect(unreadable.stdout).toContain("environments/prod/recipients:3:");
    expect(unreadable.stdout).not.toContain("who is not a recipient");
    expect(unreadable.stdout).toContain("environments/prod/secret-cert.pem.nacl: cannot check who sealed it: environments/prod/recipients cannot be read (see above)");
    writeFileSync(join(prod, "recipients"), `${alice.pub}\n${carol.pub}\n`);
  });

  test("terminal escapes in recipient comments are shown escaped (summary, add, a non-recipient's error)", () => {
    const evil = `${carol.pub.split(" ").slice(0, 2).join(" ")} carol\u001b]0;pwned\u0007\u001b[2J\u202e`;
    writeFileSync(join(prod, "recipients"), `${alice.pub}\n${evil}\n`);
    expect(run(["edit", "prod", "x"], { EDITOR: setTo("X\n") }).code).toBe(0);
    const outsider = { BATOU_IDENTITY: bob.path, BATOU_IDENTITY_PASSPHRASE: "bob pass" };
    for (const r of [run(["summary"]), run(["decrypttostdout", join(prod, "secret-x.nacl")], outsider)]) {
      const all = r.stdout + r.stderr;
      expect(all).toContain("carol\\x1b]0;pwned\\x07\\x1b[2J\\u{202e}");
      expect(all).not.toMatch(/[\u001b\u0007\u202e]/);
    }
    writeFileSync(join(staging, "recipients"), `${alice.pub}\n`);
    const added = run(["add", evil, "--environments", "staging"]);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain("added");
    expect(added.stdout).not.toMatch(/[\u001b\u0007\u202e]/);
  });

  test("usage errors exit 2", () => {
    for (const args of [[], ["bogus"], ["edit"], ["edit", "a", "b", "c"], ["reencrypt", "--nope"], ["summary", "x"]]) {
      expect(run(args).code).toBe(2);
    }
    expect(run(["frobnicate"]).stderr).toStartWith('ERROR: unknown command "secrets frobnicate"\n');
  });

  test.skipIf(!existsSync(join(import.meta.dir, "../../batou.ts")))("end to end through bun batou.ts", () => {
    const r = Bun.spawnSync(["bun", join(import.meta.dir, "../../batou.ts"), "secrets", "summary"], {
      cwd: root,
      env: { ...process.env, HOME: home, NO_COLOR: "1" },
    });
    expect(r.stderr.toString()).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString()).toContain("alice@test");
  });
});

describe("batou secrets edit on a signal", () => {
  test("SIGTERM while the editor runs removes the cleartext and the lock", async () => {
    const pidFile = join(tmp.path, "editor.pid");
    rmSync(pidFile, { force: true });
    const editor = editorScript(tmp.path, "slow.sh", `echo 'leak = "x"' > "$1"; echo $$ > ${pidFile}; exec sleep 30`);
    const env: Record<string, string> = { ...(process.env as Record<string, string>), HOME: home, TMPDIR: editTmp, BATOU_IDENTITY: alice.path, EDITOR: editor };
    const child = Bun.spawn(["bun", join(import.meta.dir, "run-secrets.ts"), "edit", "prod"], { cwd: root, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    await waitFor(() => existsSync(pidFile), 5, "the editor to start");
    const editorPid = Number(read(pidFile).trim());
    try {
      expect(readdirSync(editTmp).length).toBe(1);
      expect(existsSync(join(prod, ".secrets.lock"))).toBe(true);
      child.kill("SIGTERM");
      expect(await child.exited).toBe(143);
      expect(readdirSync(editTmp)).toEqual([]);
      expect(existsSync(join(prod, ".secrets.lock"))).toBe(false);
      expect(existsSync(join(prod, "secrets.toml.nacl"))).toBe(false);
    } finally {
      try {
        process.kill(editorPid, "SIGTERM");
      } catch {
        /* already gone */
      }
    }
  });
});

describe.skipIf(!Bun.which("script"))("on a terminal (a pty from script(1))", () => {
  const onTty = (args: string[], input: string, env: Record<string, string | undefined>) => {
    const full: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, HOME: home, TMPDIR: editTmp, NO_COLOR: "1", ...env })) if (v !== undefined) full[k] = v;
    const command = ["bun", join(import.meta.dir, "run-secrets.ts"), ...args].map((a) => `'${a}'`).join(" ");
    const r = Bun.spawnSync(["script", "-qec", command, "/dev/null"], { cwd: root, env: full, stdin: Buffer.from(input) });
    return { code: r.exitCode, out: r.stdout.toString() };
  };

  test("invalid TOML offers to edit again and keeps the edit", async () => {
    const count = join(tmp.path, "count");
    rmSync(count, { force: true });
    const editor = editorScript(
      tmp.path,
      "twice.sh",
      `if [ -e ${count} ]; then sed -i 's/= $/= "fixed"/' "$1"; else touch ${count}; printf '[components.app]\\nkept = 1\\nbad = \\n' > "$1"; fi`,
    );
    const r = onTty(["edit", "prod"], "y\n", { BATOU_IDENTITY: alice.path, EDITOR: editor });
    expect(r.out).toMatch(/ERROR: .*invalid TOML/); // through the one error printer, as without a terminal
    expect(r.out).toContain("Edit again? [Y/n]");
    expect(r.code).toBe(0);
    const secrets = await loadSecrets(root, "prod", [loadIdentity(alice.path, {})]);
    expect(secrets.components).toEqual({ app: { kept: 1, bad: "fixed" } });
    expect(readdirSync(editTmp)).toEqual([]);
  });

  test("an unknown attribute offers to edit again, listing the known ones", async () => {
    mkdirSync(join(root, "components", "app"), { recursive: true });
    writeFileSync(join(root, "components", "app", "component.ts"), 'import { Component } from "batou";\nexport class App extends Component {\n  db_password = "";\n}\n');
    const count = join(tmp.path, "count-model");
    rmSync(count, { force: true });
    const editor = editorScript(
      tmp.path,
      "twice-model.sh",
      `if [ -e ${count} ]; then sed -i 's/db_pasword/db_password/' "$1"; else touch ${count}; printf '[components.app]\\ndb_pasword = "pw-value"\\n' > "$1"; fi`,
    );
    const r = onTty(["edit", "prod"], "y\n", { BATOU_IDENTITY: alice.path, EDITOR: editor });
    expect(r.out).toContain('App has no attribute "db_pasword"; known: db_password');
    expect(r.out).toContain("Edit again? (no: save it as it is) [Y/n]");
    expect(r.code).toBe(0);
    const secrets = await loadSecrets(root, "prod", [loadIdentity(alice.path, {})]);
    expect(secrets.components).toEqual({ app: { db_password: "pw-value" } });
  });

  test("asks for the passphrase of a protected key", () => {
    writeFileSync(join(prod, "recipients"), `${bob.pub}\n`);
    const bobEnv = { BATOU_IDENTITY: bob.path, BATOU_IDENTITY_PASSPHRASE: "bob pass" };
    expect(run(["edit", "prod", "p"], { ...bobEnv, EDITOR: setTo("pw\n") }).code).toBe(0);
    const r = onTty(["decrypttostdout", join(prod, "secret-p.nacl")], "bob pass\r", { BATOU_IDENTITY: bob.path });
    expect(r.out).toContain(`Passphrase for ${bob.path}:`);
    expect(r.out).toContain("pw");
    expect(r.code).toBe(0);
  });
});

describe("decrypttostdout as a git textconv filter", () => {
  test("git log -p shows the cleartext change", () => {
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      HOME: home, BATOU_IDENTITY: alice.path, NO_COLOR: "1",
      GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t",
    };
    const git = (...args: string[]) => {
      const r = Bun.spawnSync(["git", ...args], { cwd: root, env });
      if (r.exitCode !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
      return r.stdout.toString();
    };
    git("init", "-q");
    git("config", "diff.batou-secrets.textconv", `bun ${join(import.meta.dir, "run-secrets.ts")} decrypttostdout`);
    writeFileSync(join(root, ".gitattributes"), "*.nacl diff=batou-secrets\n");
    expect(run(["edit", "prod"], { EDITOR: setTo(SECRETS) }).code).toBe(0);
    git("add", "-A");
    git("commit", "-qm", "one");
    expect(run(["edit", "prod"], { EDITOR: editorScript(tmp.path, "sed2.sh", 'sed -i "s/hunter2/swordfish/" "$1"') }).code).toBe(0);
    const diff = git("diff", "environments/prod/secrets.toml.nacl");
    expect(diff).toContain('-db_password = "hunter2"');
    expect(diff).toContain('+db_password = "swordfish"');
  });
});
