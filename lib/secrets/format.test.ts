import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nacl from "tweetnacl";
import { sealV1 } from "../../tests/secrets/v1-fixture.ts";
import { NotARecipientError, TamperedError, UntrustedError } from "./secrets-error.ts";
import { BEGIN, END, openSealed, parseSealed, rewrap, rewrapPlan, seal } from "./format.ts";
import { identityFromSecretKey } from "./identities.ts";
import type { Binding, TrustPolicy } from "./provenance.ts";
import { parsePublicKey } from "./recipients.ts";
import { SIGNATURE_NAMESPACE } from "./signature.ts";
import type { Identity, Recipient, Signer } from "./types.ts";
import { fingerprint } from "./encoding.ts";

async function person(name: string): Promise<{ id: Identity; r: Recipient; signer: Signer }> {
  const id = identityFromSecretKey(nacl.box.keyPair().secretKey, `/keys/${name}`, `${name}@test`);
  return { id, r: parsePublicKey(id.publicLine, name), signer: await id.signer() };
}

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);
const PROD: Binding = { environment: "prod", file: "secrets.toml.nacl" };
const FILE = "environments/prod/secrets.toml.nacl";

const [alice, bob, carol, mallory] = await Promise.all(["alice", "bob", "carol", "mallory"].map(person));

describe("sealed format v2", () => {
  const trust: TrustPolicy = { binding: PROD, signers: [alice.r, bob.r], signersFile: "environments/prod/recipients" };

  test("round trip for each of several recipients; armored, bound to its place, signed, wrapped at 64 columns", async () => {
    const sealed = seal(text("hello\nworld\n"), [alice.r, bob.r], alice.signer, PROD);
    const lines = sealed.trimEnd().split("\n");
    expect(lines.slice(0, 3)).toEqual([BEGIN, "Environment: prod", "File: secrets.toml.nacl"]);
    expect(lines.at(-1)).toBe(END);
    expect(lines.every((l) => l.length <= 64)).toBe(true);
    expect(lines.filter((l) => /^(Recipient|Signer): /.test(l))).toEqual([
      `Recipient: ${alice.r.fingerprint} alice@test`,
      `Recipient: ${bob.r.fingerprint} bob@test`,
      `Signer: ${alice.r.fingerprint} alice@test`,
    ]);
    const opened = await openSealed(sealed, [alice.id], FILE, trust);
    expect(str(opened.plaintext)).toBe("hello\nworld\n");
    expect(opened.provenance).toEqual({ version: 2, signer: { fingerprint: alice.r.fingerprint, comment: "alice@test" }, listed: true });
    expect(str((await openSealed(sealed, [carol.id, bob.id], FILE, trust)).plaintext)).toBe("hello\nworld\n");
  });

  test("a fresh file key per write: same content seals differently", async () => {
    expect(seal(text("x"), [alice.r], alice.signer, PROD)).not.toBe(seal(text("x"), [alice.r], alice.signer, PROD));
  });

  test("empty content is fine", async () => {
    expect((await openSealed(seal(new Uint8Array(), [alice.r], alice.signer, PROD), [alice.id], FILE, trust)).plaintext.length).toBe(0);
  });

  test("a non-recipient gets an error naming the file and the recipients", async () => {
    const sealed = seal(text("s"), [alice.r, bob.r], alice.signer, PROD);
    const error = await openSealed(sealed, [carol.id], FILE, trust).catch((e) => e);
    expect(error).toBeInstanceOf(NotARecipientError);
    expect(error.message).toContain(`${FILE}: none of your identities can open this file`);
    expect(error.message).toContain(`${alice.r.fingerprint} alice@test`);
    expect(error.message).toContain(`${bob.r.fingerprint} bob@test`);
    expect(error.message).toContain("/keys/carol");
    expect(error.message).toContain("Ask a recipient to run `batou secrets add '<your public key>'`");
  });

  test("a listed recipient the file was not sealed to is told to ask for reencrypt, not add", async () => {
    const sealed = seal(text("s"), [alice.r], alice.signer, PROD);
    const listed = { ...trust, signers: [alice.r, carol.r] };
    const error = await openSealed(sealed, [carol.id], FILE, listed).catch((e) => e);
    expect(error).toBeInstanceOf(NotARecipientError);
    expect(error.message).toContain(`Your key ${carol.r.fingerprint} (/keys/carol) is listed in environments/prod/recipients`);
    expect(error.message).toContain("ask a recipient to run `batou secrets reencrypt --environments prod`");
    expect(error.message).not.toContain("secrets add");
  });

  describe("tamper detection", () => {
    const sealed = seal(text("secret content that is long enough to span lines ".repeat(3)), [alice.r, bob.r], alice.signer, PROD);
    const lines = sealed.split("\n");
    const flip = (lineIndex: number, col: number) => {
      const copy = [...lines];
      const line = copy[lineIndex];
      const c = line[col];
      copy[lineIndex] = line.slice(0, col) + (c === "A" ? "B" : "A") + line.slice(col + 1);
      return copy.join("\n");
    };
    const idx = (pred: (l: string) => boolean) => lines.findIndex(pred);
    const cases: [string, () => string][] = [
      ["a body byte", () => flip(idx((l) => l === "Body:") + 1, 10)],
      ["the signature", () => flip(idx((l) => l === "Signature:") + 1, 5)],
      ["another recipient's comment", () => lines.join("\n").replace("bob@test", "bob@evil")],
      ["the signer's comment", () => lines.join("\n").replace(`Signer: ${alice.r.fingerprint} alice@test`, `Signer: ${alice.r.fingerprint} alice@evil`)],
      ["another recipient's key block", () => flip(idx((l) => l.includes("bob@test")) + 1, 3)],
      ["my own key block", () => flip(idx((l) => l.includes("Recipient:") && l.includes("alice@test")) + 1, 3)],
      ["my own fingerprint", () => flip(idx((l) => l.includes("Recipient:") && l.includes("alice@test")), 12)],
      ["the environment", () => lines.join("\n").replace("Environment: prod", "Environment: prodx")],
      ["dropping a recipient", () => {
        const i = idx((l) => l.includes("bob@test"));
        return [...lines.slice(0, i), ...lines.slice(i + 3)].join("\n");
      }],
    ];
    for (const [what, make] of cases) {
      test(`editing ${what} → "tampered or corrupt" naming the file`, async () => {
        const error = await openSealed(make(), [alice.id], FILE, { signers: trust.signers }).catch((e) => e);
        expect(error).toBeInstanceOf(TamperedError);
        expect(error.message).toContain(FILE);
        expect(error.message).toContain("tampered or corrupt");
      });
    }

    test("every single-byte change of the whole file is detected", async () => {
      for (let i = 0; i < sealed.length - 1; i += 7) {
        const ch = sealed[i] === "\n" ? "x" : sealed[i] === "A" ? "B" : "A";
        const changed = sealed.slice(0, i) + ch + sealed.slice(i + 1);
        const error = await openSealed(changed, [alice.id], FILE, trust).catch((e) => e);
        expect(error instanceof TamperedError || error instanceof NotARecipientError || error instanceof UntrustedError).toBe(true);
      }
    });
  });

  describe("who sealed it (no key needed)", () => {
    test("an unsigned v1 file is refused unless it is being migrated; it opens then", async () => {
      const v1 = sealV1("old", [alice.r]);
      const error = await openSealed(v1, [alice.id], FILE, trust).catch((e) => e);
      expect(error).toBeInstanceOf(UntrustedError);
      expect(error.message).toBe(
        `${FILE}: not signed (sealed-file format v1, written by an older batou): anyone who can write the repository ` +
          "could have written it, so it is refused. A recipient signs it once with `batou secrets reencrypt --environments prod`.",
      );
      const opened = await openSealed(v1, [alice.id], FILE, { ...trust, allowUnsigned: true });
      expect(str(opened.plaintext)).toBe("old");
      expect(opened.provenance).toEqual({ version: 1, listed: false });
    });

    test("a file signed by someone who is not a recipient is refused, naming the signer", async () => {
      const forged = seal(text('password = "ATTACKER-CHOSEN"'), [alice.r, bob.r], mallory.signer, PROD);
      const error = await openSealed(forged, [alice.id], FILE, trust).catch((e) => e);
      expect(error).toBeInstanceOf(UntrustedError);
      expect(error.message).toStartWith(
        `${FILE}: signed by ${mallory.r.fingerprint} mallory@test, who is not a recipient in environments/prod/recipients;`,
      );
      expect(error.message).toContain("batou secrets reencrypt -f --environments prod");
      // reencrypt -f: the user vouches for it
      expect((await openSealed(forged, [alice.id], FILE, { ...trust, allowUnlistedSigner: true })).provenance.listed).toBe(false);
    });

    test("a signer claiming a recipient's name with another key is refused", async () => {
      const claim = { ...mallory.signer, fingerprint: alice.r.fingerprint, comment: "alice@test" };
      const error = await openSealed(seal(text("x"), [alice.r], claim, PROD), [alice.id], FILE, trust).catch((e) => e);
      expect(error).toBeInstanceOf(UntrustedError);
      expect(error.message).toContain(`signed in the name of ${alice.r.fingerprint} alice@test, but not with that recipient's key`);
    });

    test("a recipient line without a signing key (32-byte batou-x25519 of an older batou) cannot vouch", async () => {
      const legacy = { ...alice.r, signingKey: undefined };
      const sealed = seal(text("x"), [alice.r], alice.signer, PROD);
      const error = await openSealed(sealed, [alice.id], FILE, { ...trust, signers: [legacy] }).catch((e) => e);
      expect(error).toBeInstanceOf(UntrustedError);
      expect(error.message).toContain("whose line in environments/prod/recipients has no signing key");
    });

    test("a file copied into another environment or renamed is refused", async () => {
      const sealed = seal(text("x"), [alice.r], alice.signer, { environment: "staging", file: "secret-db.nacl" });
      for (const binding of [PROD, { environment: "staging", file: "secret-other.nacl" }]) {
        const error = await openSealed(sealed, [alice.id], FILE, { ...trust, binding }).catch((e) => e);
        expect(error).toBeInstanceOf(UntrustedError);
        expect(error.message).toContain(`${FILE}: sealed for environments/staging/secret-db.nacl: a sealed file that was copied or renamed is refused`);
      }
    });

    test.skipIf(!Bun.which("ssh-keygen"))("the signature is OpenSSH's SSHSIG: ssh-keygen -Y check-novalidate accepts it", async () => {
      const signer = alice.signer;
      const sealed = parseSealed(seal(text("x"), [alice.r], signer, PROD), FILE);
      if (sealed.version !== 2) throw new Error("expected v2");
      const u32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
      const s = (b: Uint8Array | string) => Buffer.concat([u32(Buffer.from(b).length), Buffer.from(b)]);
      const blob = Buffer.concat([
        Buffer.from("SSHSIG"), u32(1), s(Buffer.concat([s("ssh-ed25519"), s(signer.publicKey)])),
        s(SIGNATURE_NAMESPACE), s(""), s("sha512"), s(Buffer.concat([s("ssh-ed25519"), s(sealed.signature)])),
      ]);
      const dir = mkdtempSync(join(tmpdir(), "batou-sshsig-"));
      try {
        const armored = `-----BEGIN SSH SIGNATURE-----\n${blob.toString("base64").match(/.{1,70}/g)!.join("\n")}\n-----END SSH SIGNATURE-----\n`;
        writeFileSync(join(dir, "sig"), armored);
        const check = (ns: string) => Bun.spawnSync(["ssh-keygen", "-Y", "check-novalidate", "-n", ns, "-s", join(dir, "sig")], { stdin: sealed.signedInput });
        expect(check(SIGNATURE_NAMESPACE).exitCode).toBe(0);
        expect(check("file").exitCode).not.toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  test("other format versions are named", () => {
    expect(() => parseSealed("-----BEGIN BATOU SECRETS v3-----\n", "x.nacl")).toThrow(/x.nacl: sealed with format v3, this batou reads v1 and v2/);
  });

  test("CRLF line endings (a Windows checkout) still open", async () => {
    const sealed = seal(text("crlf"), [alice.r], alice.signer, PROD).replaceAll("\n", "\r\n");
    expect(str((await openSealed(sealed, [alice.id], FILE, trust)).plaintext)).toBe("crlf");
  });

  test("extra trailing newlines (an editor or a merge added one) still open", async () => {
    const sealed = seal(text("tail"), [alice.r], alice.signer, PROD);
    for (const tail of ["\n", "\n\n", "\r\n"]) {
      expect(str((await openSealed(sealed + tail, [alice.id], FILE, trust)).plaintext)).toBe("tail");
    }
    expect(() => parseSealed(`${sealed}junk\n`, "f")).toThrow(/nothing after the END line/);
  });

  test("rewrap: adding keeps key, body and existing blocks; removing rekeys; resigning keeps all but the signature", async () => {
    const original = seal(text("payload"), [alice.r], alice.signer, PROD);
    const opened = await openSealed(original, [alice.id], FILE, trust);
    expect(rewrapPlan(opened.sealed, [alice.r])).toBe("unchanged");
    expect(rewrap(opened, "unchanged", [alice.r], alice.signer, PROD)).toBeNull();
    expect(rewrapPlan(opened.sealed, [alice.r, bob.r])).toBe("add");
    const added = rewrap(opened, "add", [alice.r, bob.r], bob.signer, PROD)!;
    const oldLines = new Set(original.split("\n"));
    const newOnly = added.split("\n").filter((l) => !oldLines.has(l));
    // the new recipient block (3 lines), the signer (2) and the signature (2) change; nothing else
    expect(newOnly.length).toBeLessThanOrEqual(7);
    expect(str((await openSealed(added, [bob.id], FILE, trust)).plaintext)).toBe("payload");

    const openedBoth = await openSealed(added, [bob.id], FILE, trust);
    expect(rewrapPlan(openedBoth.sealed, [bob.r])).toBe("rekey");
    const removed = rewrap(openedBoth, "rekey", [bob.r], bob.signer, PROD)!;
    expect(await openSealed(removed, [alice.id], FILE, trust).catch((e) => e)).toBeInstanceOf(NotARecipientError);
    expect(str((await openSealed(removed, [bob.id], FILE, trust)).plaintext)).toBe("payload");
    // even alice's old file key no longer opens the new body
    const body = parseSealed(removed, "f").body;
    expect(nacl.secretbox.open(body.subarray(24), body.subarray(0, 24), opened.fileKey)).toBeNull();
    expect(rewrapPlan(openedBoth.sealed, [alice.r, bob.r], { force: true })).toBe("rekey");
    expect(rewrapPlan(openedBoth.sealed, [alice.r, bob.r], { resign: true })).toBe("resign");
  });

  test("a v1 file migrates by resigning: its recipient blocks and body carry over", async () => {
    const v1 = sealV1("migrate me", [alice.r, bob.r]);
    const opened = await openSealed(v1, [alice.id], FILE, { ...trust, allowUnsigned: true });
    expect(rewrapPlan(opened.sealed, [alice.r, bob.r], { resign: true })).toBe("resign");
    const v2 = rewrap(opened, "resign", [alice.r, bob.r], alice.signer, PROD)!;
    const v1Lines = v1.split("\n");
    const kept = v1Lines.slice(1, v1Lines.indexOf("Mac:")); // recipients and body
    expect(kept.filter((line) => !v2.split("\n").includes(line))).toEqual([]);
    expect(str((await openSealed(v2, [bob.id], FILE, trust)).plaintext)).toBe("migrate me");
  });

  test("sealing to a low-order key is refused (the file would open without any private key)", async () => {
    const zero: Recipient = { type: "batou-x25519", publicKey: new Uint8Array(32), fingerprint: fingerprint(new Uint8Array(32)), comment: "mallory" };
    expect(() => seal(text("s"), [alice.r, zero], alice.signer, PROD)).toThrow(/cannot seal to .* mallory: expected .*low-order point/);
  });

  test("a recipient block with a low-order ephemeral key (all-zero shared secret) is refused", async () => {
    // Built from the spec in docs/secrets-format.md: E = 0 makes the box key HSalsa20(0) for every recipient.
    const v1 = sealV1("real", [alice.r]);
    const lines = v1.split("\n");
    const at = lines.findIndex((l) => l.startsWith("Recipient: "));
    const E = new Uint8Array(32);
    const nonce = nacl.hash(new Uint8Array([...text("batou-secrets-v1 recipient nonce"), ...E, ...alice.r.publicKey])).subarray(0, 24);
    const forged = new Uint8Array([...E, ...nacl.box(nacl.randomBytes(32), nonce, E, nacl.box.keyPair().secretKey)]);
    const b64 = Buffer.from(forged).toString("base64");
    lines.splice(at + 1, 2, b64.slice(0, 64), b64.slice(64));
    const error = await openSealed(lines.join("\n"), [alice.id], "f", { allowUnsigned: true }).catch((e) => e);
    expect(error).toBeInstanceOf(TamperedError);
    expect(error.message).toMatch(/^f:2: tampered or corrupt: .* low-order ephemeral key/);
  });
});
