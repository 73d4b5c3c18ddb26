import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sshKey, tempDir } from "../../tests/secrets/helpers.ts";
import { toBase64 } from "./encoding.ts";
import { openSealed, seal } from "./format.ts";
import { defaultNativeKeyPath, identityPaths, loadIdentities, loadIdentity, writeNativeKey } from "./identities.ts";
import { parsePublicKey } from "./recipients.ts";

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const plain = sshKey(tmp.path, "plain");
const locked = sshKey(tmp.path, "locked", "s3cret phrase");
const text = (s: string) => new TextEncoder().encode(s);
const HERE = { environment: "prod", file: "secrets.toml.nacl" };

describe("identities", () => {
  test("an unencrypted OpenSSH key matches its ssh-ed25519 public line and opens", async () => {
    const id = loadIdentity(plain.path, {});
    const recipient = parsePublicKey(plain.pub, "pub");
    expect(id.fingerprint).toBe(recipient.fingerprint);
    expect(id.comment).toBe("plain@test");
    const opened = await openSealed(seal(text("x"), [recipient], await id.signer(), HERE), [id], "f", { signers: [recipient] });
    expect(new TextDecoder().decode(opened.plaintext)).toBe("x");
    expect(opened.provenance.listed).toBe(true); // its signatures check with the key of its public line
    expect(id.publicLine).toBe(plain.pub);
  });

  test("a passphrase-protected key: public part without passphrase, secret with BATOU_IDENTITY_PASSPHRASE", async () => {
    const recipient = parsePublicKey(locked.pub, "pub");
    const id = loadIdentity(locked.path, { BATOU_IDENTITY_PASSPHRASE: "s3cret phrase" });
    expect(toBase64(id.signingKey)).toBe(toBase64(recipient.signingKey!));
    const sealed = seal(text("y"), [recipient], await id.signer(), HERE);
    expect(id.fingerprint).toBe(recipient.fingerprint);
    expect(new TextDecoder().decode((await openSealed(sealed, [id], "f")).plaintext)).toBe("y");
  });

  test("wrong or missing passphrase: clear errors naming the key file", async () => {
    const wrong = loadIdentity(locked.path, { BATOU_IDENTITY_PASSPHRASE: "nope" });
    await expect(wrong.secretKey()).rejects.toThrow(`identity ${locked.path}: wrong passphrase in BATOU_IDENTITY_PASSPHRASE`);
    const none = loadIdentity(locked.path, {});
    await expect(none.signer(false)).rejects.toThrow(`identity ${locked.path} is passphrase-protected`);
    await expect(none.secretKey(false)).rejects.toThrow(
      `identity ${locked.path} is passphrase-protected: set BATOU_IDENTITY_PASSPHRASE or run on a terminal`,
    );
  });

  test("RSA keys and junk are rejected with the file name", () => {
    const rsa = join(tmp.path, "rsa");
    Bun.spawnSync(["ssh-keygen", "-q", "-t", "rsa", "-b", "1024", "-N", "", "-f", rsa]);
    expect(() => loadIdentity(rsa, {})).toThrow(`identity ${rsa}: only ed25519 keys can be batou identities`);
    writeFileSync(join(tmp.path, "junk"), "hello\n");
    expect(() => loadIdentity(join(tmp.path, "junk"), {})).toThrow(/junk: expected an OpenSSH ed25519 private key/);
    expect(() => loadIdentity(join(tmp.path, "missing"), {})).toThrow(/missing: cannot read it/);
  });

  test("keygen writes a 0600 private key and a public line that opens", async () => {
    const path = join(tmp.path, "native", "identity");
    const { publicLine } = writeNativeKey(path, "ops@box");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(`${path}.pub`, "utf8").trim()).toBe(publicLine);
    expect(publicLine).toMatch(/^batou-x25519 [A-Za-z0-9+/]{86}== ops@box$/); // X25519 key, then the signing key
    const id = loadIdentity(path, {});
    expect(id.comment).toBe("ops@box");
    expect(id.publicLine).toBe(publicLine);
    const r = parsePublicKey(publicLine, "pub");
    expect(toBase64(id.publicKey)).toBe(toBase64(r.publicKey));
    expect(toBase64(id.signingKey)).toBe(toBase64(r.signingKey!));
    const opened = await openSealed(seal(text("n"), [r], await id.signer(), HERE), [id], "f", { signers: [r] });
    expect(opened.provenance.listed).toBe(true);
    expect(() => writeNativeKey(path, "again")).toThrow(`${path} exists already; not overwriting it`);
  });

  test("BATOU_IDENTITY lists files; defaults are ~/.ssh/id_ed25519 and the keygen path", () => {
    expect(identityPaths({ BATOU_IDENTITY: ` ${plain.path} , ${locked.path}` })).toEqual([plain.path, locked.path]);
    const home = join(tmp.path, "home");
    expect(identityPaths({ HOME: home })).toEqual([]);
    expect(() => loadIdentities({ HOME: home })).toThrow(/no identity found: set BATOU_IDENTITY/);
    writeNativeKey(defaultNativeKeyPath({ HOME: home }), "me");
    expect(identityPaths({ HOME: home })).toEqual([join(home, ".config", "batou", "identity")]);
    expect(() => loadIdentities({ BATOU_IDENTITY: join(tmp.path, "nope") })).toThrow(/nope: cannot read it/);
  });
});
