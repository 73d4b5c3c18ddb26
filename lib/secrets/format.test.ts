import { describe, expect, test } from "bun:test";
import nacl from "tweetnacl";
import { TamperedError, NotARecipientError } from "./secrets-error.ts";
import { BEGIN, END, openSealed, parseSealed, rewrap, rewrapPlan, seal } from "./format.ts";
import { identityFromSecretKey } from "./identities.ts";
import type { Identity, Recipient } from "./types.ts";
import { fingerprint } from "./encoding.ts";

function person(name: string): { id: Identity; r: Recipient } {
  const pair = nacl.box.keyPair();
  const id = identityFromSecretKey(pair.secretKey, `/keys/${name}`, name);
  return { id, r: { type: "batou-x25519", publicKey: pair.publicKey, fingerprint: fingerprint(pair.publicKey), comment: `${name}@test` } };
}

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

describe("sealed format v1", () => {
  const alice = person("alice");
  const bob = person("bob");
  const carol = person("carol");

  test("round trip for each of several recipients; armored, wrapped at 64 columns", async () => {
    const sealed = seal(text("hello\nworld\n"), [alice.r, bob.r]);
    const lines = sealed.trimEnd().split("\n");
    expect(lines[0]).toBe(BEGIN);
    expect(lines.at(-1)).toBe(END);
    expect(lines.every((l) => l.length <= 64)).toBe(true);
    expect(lines.filter((l) => l.startsWith("Recipient: "))).toEqual([
      `Recipient: ${alice.r.fingerprint} alice@test`,
      `Recipient: ${bob.r.fingerprint} bob@test`,
    ]);
    expect(str((await openSealed(sealed, [alice.id], "f")).plaintext)).toBe("hello\nworld\n");
    expect(str((await openSealed(sealed, [carol.id, bob.id], "f")).plaintext)).toBe("hello\nworld\n");
  });

  test("a fresh file key per write: same content seals differently", () => {
    expect(seal(text("x"), [alice.r])).not.toBe(seal(text("x"), [alice.r]));
  });

  test("empty content is fine", async () => {
    expect((await openSealed(seal(new Uint8Array(), [alice.r]), [alice.id], "f")).plaintext.length).toBe(0);
  });

  test("a non-recipient gets an error naming the file and the recipients", async () => {
    const sealed = seal(text("s"), [alice.r, bob.r]);
    const error = await openSealed(sealed, [carol.id], "environments/prod/secret-x.nacl").catch((e) => e);
    expect(error).toBeInstanceOf(NotARecipientError);
    expect(error.message).toContain("environments/prod/secret-x.nacl");
    expect(error.message).toContain(`${alice.r.fingerprint} alice@test`);
    expect(error.message).toContain(`${bob.r.fingerprint} bob@test`);
    expect(error.message).toContain("/keys/carol");
  });

  describe("tamper detection", () => {
    const sealed = seal(text("secret content that is long enough to span lines ".repeat(3)), [alice.r, bob.r]);
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
      ["the mac", () => flip(idx((l) => l === "Mac:") + 1, 5)],
      ["another recipient's comment", () => lines.join("\n").replace("bob@test", "bob@evil")],
      ["another recipient's key block", () => flip(idx((l) => l.includes("bob@test")) + 1, 3)],
      ["my own key block", () => flip(idx((l) => l.includes("alice@test")) + 1, 3)],
      ["my own fingerprint", () => flip(idx((l) => l.includes("alice@test")), 12)],
      ["the armor line", () => lines.join("\n").replace("SECRETS v1", "SECRETZ v1")],
      ["dropping a recipient", () => {
        const i = idx((l) => l.includes("bob@test"));
        return [...lines.slice(0, i), ...lines.slice(i + 3)].join("\n");
      }],
    ];
    for (const [what, make] of cases) {
      test(`editing ${what} → "tampered or corrupt" naming the file`, async () => {
        const error = await openSealed(make(), [alice.id], "environments/prod/secrets.toml.nacl").catch((e) => e);
        expect(error).toBeInstanceOf(TamperedError);
        expect(error.message).toContain("environments/prod/secrets.toml.nacl");
        expect(error.message).toContain("tampered or corrupt");
      });
    }

    test("every single-byte change of the whole file is detected", async () => {
      for (let i = 0; i < sealed.length - 1; i += 7) {
        const ch = sealed[i] === "\n" ? "x" : sealed[i] === "A" ? "B" : "A";
        const changed = sealed.slice(0, i) + ch + sealed.slice(i + 1);
        const error = await openSealed(changed, [alice.id], "f").catch((e) => e);
        expect(error instanceof TamperedError || error instanceof NotARecipientError).toBe(true);
      }
    });
  });

  test("a newer format version is named", () => {
    expect(() => parseSealed("-----BEGIN BATOU SECRETS v2-----\n", "x.nacl")).toThrow(/x.nacl: sealed with format v2/);
  });

  test("extra trailing newlines (an editor or a merge added one) still open", async () => {
    const sealed = seal(text("tail"), [alice.r]);
    for (const tail of ["\n", "\n\n", "\r\n"]) {
      expect(str((await openSealed(sealed + tail, [alice.id], "f")).plaintext)).toBe("tail");
    }
    expect(() => parseSealed(`${sealed}junk\n`, "f")).toThrow(/nothing after the END line/);
  });

  test("CRLF line endings (a Windows checkout) still open", async () => {
    const sealed = seal(text("crlf"), [alice.r]).replaceAll("\n", "\r\n");
    expect(str((await openSealed(sealed, [alice.id], "f")).plaintext)).toBe("crlf");
  });

  test("rewrap: adding keeps key, body and existing blocks; removing rekeys", async () => {
    const original = seal(text("payload"), [alice.r]);
    const opened = await openSealed(original, [alice.id], "f");
    expect(rewrapPlan(opened.sealed, [alice.r])).toBe("unchanged");
    expect(rewrap(opened, [alice.r])).toBeNull();
    const added = rewrap(opened, [alice.r, bob.r])!;
    const oldLines = new Set(original.split("\n"));
    const newOnly = added.split("\n").filter((l) => !oldLines.has(l));
    // the new recipient block (3 lines) and the Mac (3 lines) change; nothing else
    expect(newOnly.length).toBeLessThanOrEqual(6);
    expect(str((await openSealed(added, [bob.id], "f")).plaintext)).toBe("payload");

    const openedBoth = await openSealed(added, [bob.id], "f");
    expect(rewrapPlan(openedBoth.sealed, [bob.r])).toBe("rekey");
    const removed = rewrap(openedBoth, [bob.r])!;
    expect(await openSealed(removed, [alice.id], "f").catch((e) => e)).toBeInstanceOf(NotARecipientError);
    expect(str((await openSealed(removed, [bob.id], "f")).plaintext)).toBe("payload");
    // even alice's old file key no longer opens the new body
    const body = parseSealed(removed, "f").body;
    expect(nacl.secretbox.open(body.subarray(24), body.subarray(0, 24), opened.fileKey)).toBeNull();
    expect(rewrapPlan(openedBoth.sealed, [alice.r, bob.r], true)).toBe("rekey");
  });

  test("sealing to a low-order key is refused (the file would open without any private key)", () => {
    const zero: Recipient = { type: "batou-x25519", publicKey: new Uint8Array(32), fingerprint: fingerprint(new Uint8Array(32)), comment: "mallory" };
    expect(() => seal(text("s"), [alice.r, zero])).toThrow(/cannot seal to .* mallory: expected .*low-order point/);
  });

  test("a recipient block with a low-order ephemeral key (all-zero shared secret) is refused", async () => {
    // Built from the spec in docs/secrets-format.md: E = 0 makes the box key HSalsa20(0) for every recipient.
    const sealed = seal(text("real"), [alice.r]);
    const lines = sealed.split("\n");
    const at = lines.findIndex((l) => l.startsWith("Recipient: "));
    const E = new Uint8Array(32);
    const nonce = nacl.hash(new Uint8Array([...text("batou-secrets-v1 recipient nonce"), ...E, ...alice.r.publicKey])).subarray(0, 24);
    const forged = new Uint8Array([...E, ...nacl.box(nacl.randomBytes(32), nonce, E, nacl.box.keyPair().secretKey)]);
    const b64 = Buffer.from(forged).toString("base64");
    lines.splice(at + 1, 2, b64.slice(0, 64), b64.slice(64));
    const error = await openSealed(lines.join("\n"), [alice.id], "f").catch((e) => e);
    expect(error).toBeInstanceOf(TamperedError);
    expect(error.message).toMatch(/^f:2: tampered or corrupt: .* low-order ephemeral key/);
  });
});
