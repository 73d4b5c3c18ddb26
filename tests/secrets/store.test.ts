import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NotARecipientError, SecretsError, TamperedError } from "../../lib/secrets/secrets-error.ts";
import { seal } from "../../lib/secrets/format.ts";
import { loadIdentity, writeNativeKey } from "../../lib/secrets/identities.ts";
import { parsePublicKey, parseRecipients } from "../../lib/secrets/recipients.ts";
import { loadSecrets } from "../../lib/secrets/store.ts";
import { makeProject, sshKey, tempDir } from "./helpers.ts";

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
const put = (name: string, cleartext: string) => writeFileSync(join(prod, name), seal(new TextEncoder().encode(cleartext), recipients));

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
    writeFileSync(join(other, "secret-x.nacl"), seal(new TextEncoder().encode("x"), [a]));
    const warned = await loadSecrets(root, "staging", ids);
    expect(warned.warnings[0]).toMatch(/secret-x.nacl is sealed to other recipients .*`batou secrets reencrypt --environments staging/);

    writeFileSync(join(other, "secrets.toml.nacl"), seal(new TextEncoder().encode("[environment]\nx=1\n"), [a]));
    await expect(loadSecrets(root, "staging", ids)).rejects.toThrow(
      'environments/staging/secrets.toml.nacl (decrypted): unexpected key "environment"',
    );
    const sealed = seal(new TextEncoder().encode("[components.a]\nx=1\n"), [a]);
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
    writeFileSync(join(other, "environments", "prod", "secret-__proto__.nacl"), seal(new TextEncoder().encode("proto file"), a));
    const secrets = await loadSecrets(other, "prod", [loadIdentity(alice.path, {})]);
    expect(Object.keys(secrets.files)).toEqual(["__proto__"]);
    expect(secrets.files.__proto__).toBe("proto file");
  });
});

