import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { NotARecipientError, SecretsError, TamperedError, UntrustedError } from "../../lib/secrets/secrets-error.ts";
import { lockSecrets } from "../../lib/secrets/edit-lock.ts";
import { seal } from "../../lib/secrets/format.ts";
import { loadIdentity, writeNativeKey } from "../../lib/secrets/identities.ts";
import { parsePublicKey, parseRecipients } from "../../lib/secrets/recipients.ts";
import { loadSecrets } from "../../lib/secrets/store.ts";
import type { Recipient } from "../../lib/secrets/types.ts";
import { makeProject, sshKey, tempDir } from "./helpers.ts";
import { sealV1 } from "./v1-fixture.ts";

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const keys = join(tmp.path, "keys");
mkdirSync(keys);
const alice = sshKey(keys, "alice");
const bob = sshKey(keys, "bob", "bobs passphrase");
const native = writeNativeKey(join(keys, "native"), "native@test");
const outsider = sshKey(keys, "outsider");
const root = join(tmp.path, "project");
makeProject(root, [alice.pub, bob.pub, native.publicLine]);
const prod = join(root, "environments", "prod");
const recipients = parseRecipients([alice.pub, bob.pub, native.publicLine].join("\n"), "r");
const aliceSigner = await loadIdentity(alice.path, {}).signer();
/** Seals like `batou secrets edit` does: for its place, signed by alice. */
const sealAt = (dir: string, name: string, cleartext: string, to: Recipient[] = recipients, signer = aliceSigner) =>
  writeFileSync(join(dir, name), seal(new TextEncoder().encode(cleartext), to, signer, { environment: basename(dir), file: name }));
const put = (name: string, cleartext: string) => sealAt(prod, name, cleartext);

put("secrets.toml.nacl", '[components.app]\ndb_password = "hunter2"\nport = 5432\n\n[hosts.web1.data]\nroot_password = "r00t"\n');
put("secret-cert.pem.nacl", "-----BEGIN CERT-----\nMIIBfake\n-----END CERT-----\n");
put("secret-empty.nacl", "");

describe("loadSecrets", () => {
  const expected = {
    components: { app: { db_password: "hunter2", port: 5432 } },
    hosts: { web1: { data: { root_password: "r00t" } } },
    files: { "cert.pem": "-----BEGIN CERT-----\nMIIBfake\n-----END CERT-----\n", empty: "" },
  };

  test("every recipient kind opens the same secrets (ssh, passphrase ssh, native)", async () => {
    const ids = [
      loadIdentity(alice.path, {}),
      loadIdentity(bob.path, { BATOU_IDENTITY_PASSPHRASE: "bobs passphrase" }),
      loadIdentity(join(keys, "native"), {}),
    ];
    for (const id of ids) {
      const secrets = await loadSecrets(root, "prod", [id]);
      expect(secrets).toMatchObject(expected);
      expect(secrets.warnings).toEqual([]);
      expect(secrets.values.sort()).toEqual(
        ["-----BEGIN CERT-----", "-----END CERT-----", "MIIBfake", "hunter2", "5432", "r00t"].sort(),
      );
    }
  });

  test("identities default to BATOU_IDENTITY, loaded only when needed", async () => {
    const saved = process.env.BATOU_IDENTITY;
    process.env.BATOU_IDENTITY = alice.path;
    try {
      expect(await loadSecrets(root, "prod")).toMatchObject(expected);
      let called = false;
      const none = await loadSecrets(root, "staging", () => {
        called = true;
        return [];
      });
      expect(none).toEqual({ components: {}, hosts: {}, files: {}, values: [], warnings: [] });
      expect(called).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.BATOU_IDENTITY;
      else process.env.BATOU_IDENTITY = saved;
    }
  });

  test("single-file environment: empty; unknown environment: error listing the known ones", async () => {
    expect((await loadSecrets(root, "dev", [])).files).toEqual({});
    await expect(loadSecrets(root, "nope", [])).rejects.toThrow('unknown environment "nope"; known: dev, prod, staging');
  });

  test("a non-recipient: error names the file and the recipients", async () => {
    const error = await loadSecrets(root, "prod", [loadIdentity(outsider.path, {})]).catch((e) => e);
    expect(error).toBeInstanceOf(NotARecipientError);
    expect(error.message).toContain("environments/prod/secrets.toml.nacl: none of your identities can open this file");
    for (const r of recipients) expect(error.message).toContain(`${r.fingerprint} ${r.comment}`);
  });

  test("stale recipients are a warning; tampering, bad cleartext and bad recipients are errors", async () => {
    const other = join(root, "environments", "staging");
    const a = parsePublicKey(alice.pub, "a");
    const ids = [loadIdentity(alice.path, {})];
    sealAt(other, "secret-x.nacl", "x", [a]);
    const warned = await loadSecrets(root, "staging", ids);
    expect(warned.warnings[0]).toMatch(/secret-x.nacl is sealed to other recipients .*`batou secrets reencrypt --environments staging/);

    sealAt(other, "secrets.toml.nacl", "[environment]\nx=1\n", [a]);
    await expect(loadSecrets(root, "staging", ids)).rejects.toThrow(
      'environments/staging/secrets.toml.nacl (decrypted): unexpected key "environment"',
    );
    sealAt(other, "secrets.toml.nacl", "[components.a]\nx=1\n", [a]);
    const sealed = readFileSync(join(other, "secrets.toml.nacl"), "utf8");
    writeFileSync(join(other, "secrets.toml.nacl"), sealed.replace("Body:\n", "Body:\nAAAA"));
    await expect(loadSecrets(root, "staging", ids)).rejects.toBeInstanceOf(TamperedError);

    writeFileSync(join(other, "recipients"), `${alice.pub}\nssh-ed25519 AAAA broken\n`);
    const error = await loadSecrets(root, "staging", ids).catch((e) => e);
    expect(error).toBeInstanceOf(SecretsError);
    expect(error.message).toMatch(/^environments\/staging\/recipients:2: invalid ssh-ed25519 key/);
  });

  test("a secret file named __proto__ is a file like any other (null-prototype map)", async () => {
    const other = join(tmp.path, "proto-project");
    makeProject(other, [alice.pub]);
    const a = parseRecipients(alice.pub, "r");
    sealAt(join(other, "environments", "prod"), "secret-__proto__.nacl", "proto file", a);
    const secrets = await loadSecrets(other, "prod", [loadIdentity(alice.path, {})]);
    expect(Object.keys(secrets.files)).toEqual(["__proto__"]);
    expect(secrets.files.__proto__).toBe("proto file");
  });

  describe("a deployment accepts only files signed by a recipient, for their place (issue 11 item 10)", () => {
    const fresh = () => {
      const dir = join(tmp.path, `trust-${crypto.randomUUID()}`);
      makeProject(dir, [alice.pub, bob.pub]);
      return { dir, prod: join(dir, "environments", "prod"), staging: join(dir, "environments", "staging") };
    };
    const ab = parseRecipients([alice.pub, bob.pub].join("\n"), "r");
    const noKeys = () => {
      throw new Error("no identity may be needed to refuse this file");
    };

    test("a file sealed with the public recipients file by someone else is refused, naming the signer, before any key is used", async () => {
      const { dir, prod } = fresh();
      const mallory = await loadIdentity(outsider.path, {}).signer();
      sealAt(prod, "secrets.toml.nacl", '[components.app]\npassword = "ATTACKER-CHOSEN"\n', ab, mallory);
      const error = await loadSecrets(dir, "prod", noKeys).catch((e) => e);
      expect(error).toBeInstanceOf(UntrustedError);
      expect(error.message).toStartWith(
        `environments/prod/secrets.toml.nacl: signed by ${mallory.fingerprint} outsider@test, who is not a recipient in environments/prod/recipients`,
      );
    });

    test("an unsigned v1 file is refused with how to sign it", async () => {
      const { dir, prod } = fresh();
      writeFileSync(join(prod, "secret-db.nacl"), sealV1("pw", ab));
      await expect(loadSecrets(dir, "prod", noKeys)).rejects.toThrow(
        "environments/prod/secret-db.nacl: not signed (sealed-file format v1, written by an older batou)",
      );
    });

    test("a file copied from another environment, or renamed, is refused", async () => {
      const { dir, prod, staging } = fresh();
      sealAt(staging, "secret-db.nacl", "staging password", ab);
      writeFileSync(join(prod, "secret-db.nacl"), readFileSync(join(staging, "secret-db.nacl")));
      await expect(loadSecrets(dir, "prod", noKeys)).rejects.toThrow(
        "environments/prod/secret-db.nacl: sealed for environments/staging/secret-db.nacl: a sealed file that was copied or renamed is refused",
      );
      rmSync(join(prod, "secret-db.nacl"));
      writeFileSync(join(staging, "secret-other.nacl"), readFileSync(join(staging, "secret-db.nacl")));
      // secret-db.nacl comes first and is fine: still, no key is used before every file was checked
      await expect(loadSecrets(dir, "staging", noKeys)).rejects.toThrow(
        "environments/staging/secret-other.nacl: sealed for environments/staging/secret-db.nacl",
      );
    });

    test("a deployment while someone edits the secrets warns, naming the editor", async () => {
      const { dir, prod } = fresh();
      sealAt(prod, "secret-db.nacl", "pw", ab);
      const lock = lockSecrets(prod, "batou secrets edit prod");
      try {
        const secrets = await loadSecrets(dir, "prod", [loadIdentity(alice.path, {})]);
        expect(secrets.warnings).toEqual([
          expect.stringMatching(/^the secrets of environments\/prod are being edited by .+ \(pid \d+, "batou secrets edit prod", since .+\): this deployment uses the sealed files as they are now$/),
        ]);
      } finally {
        lock.release();
      }
      expect((await loadSecrets(dir, "prod", [loadIdentity(alice.path, {})])).warnings).toEqual([]);
    });
  });
});

