import { describe, expect, test } from "bun:test";
import nacl from "tweetnacl";
import { toBase64 } from "./encoding.ts";
import { formatNativePublicKey, parsePublicKey, parseRecipients } from "./recipients.ts";

// A fixed ssh-ed25519 public key (from ssh-keygen) and its X25519 fingerprint.
const SSH = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGTSjdP224tRG/nVQ4Bq3iVHt/8VUjSGvIBEm0ELqyVl alice@x";

describe("recipients", () => {
  test("ssh-ed25519 and batou-x25519 lines, comments and blank lines", () => {
    const pair = nacl.box.keyPair();
    const signing = nacl.sign.keyPair();
    const native = formatNativePublicKey(pair.publicKey, signing.publicKey, "bob at desk");
    const parsed = parseRecipients(`# team\n\n${SSH}\n  ${native}  \n# end\n${SSH}\n`, "environments/prod/recipients");
    expect(parsed.map((r) => [r.type, r.comment, r.lineNumber])).toEqual([
      ["ssh-ed25519", "alice@x", 3],
      ["batou-x25519", "bob at desk", 4],
    ]);
    expect(toBase64(parsed[1].publicKey)).toBe(toBase64(pair.publicKey));
    expect(toBase64(parsed[1].signingKey!)).toBe(toBase64(signing.publicKey));
    expect(toBase64(parsed[0].signingKey!)).toBe("ZNKN0/bbi1Eb+dVDgGreJUe3/xVSNIa8gESbQQurJWU=");
    expect(parsed[0].fingerprint).toMatch(/^[A-Za-z0-9+/]{22}$/);
    expect(parsed[0].publicKey.length).toBe(32);
  });

  const bad: [string, RegExp][] = [
    ["ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQ user", /unsupported key type "ssh-rsa" \(only ed25519/],
    ["ssh-ed25519", /expected "ssh-ed25519 AAAA... comment"/],
    ["ssh-ed25519 not-base64!! x", /invalid ssh-ed25519 key: expected base64/],
    ["ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAAAgQ x", /invalid ssh-ed25519 key/],
    ["batou-x25519 AAAA x", /expected 64 bytes of base64 \(32 from an older batou\)/],
    ['from="10.0.0.1" ssh-ed25519 AAAA x', /unsupported key type/],
  ];
  for (const [line, message] of bad) {
    test(`malformed line names file and line: ${line.slice(0, 24)}`, () => {
      expect(() => parseRecipients(`# ok\n${SSH}\n${line}\n`, "environments/prod/recipients")).toThrow(
        new RegExp(`^environments/prod/recipients:3: .*${message.source}`),
      );
    });
  }

  test("parsePublicKey of a native line round-trips", () => {
    const pair = nacl.box.keyPair();
    const r = parsePublicKey(formatNativePublicKey(pair.publicKey, nacl.sign.keyPair().publicKey, ""), "arg");
    expect(r.comment).toBe("");
    expect(toBase64(r.publicKey)).toBe(toBase64(pair.publicKey));
  });

  test("a 32-byte batou-x25519 line (an older batou) is a recipient without a signing key", () => {
    const pair = nacl.box.keyPair();
    const r = parsePublicKey(`batou-x25519 ${toBase64(pair.publicKey)} old@box`, "arg");
    expect(toBase64(r.publicKey)).toBe(toBase64(pair.publicKey));
    expect(r.signingKey).toBeUndefined();
  });

  test("a low-order signing key in a batou-x25519 line is refused", () => {
    const identity = new Uint8Array(32);
    identity[0] = 1; // the Ed25519 identity point
    const line = `batou-x25519 ${toBase64(new Uint8Array([...nacl.box.keyPair().publicKey, ...identity]))} x`;
    expect(() => parsePublicKey(line, "arg")).toThrow(/^arg: invalid batou-x25519 key: expected a signing key that is a key of full order/);
  });

  describe("low-order and non-canonical keys are refused (anyone could open what is sealed to them)", () => {
    const b64 = (bytes: number[] | Uint8Array) => Buffer.from(Uint8Array.from(bytes)).toString("base64");
    const fill = (first: number, rest: number, last: number) => [first, ...new Array(30).fill(rest), last];
    const sshLine = (point: number[]) => {
      const type = Buffer.from("ssh-ed25519");
      const blob = Buffer.concat([Buffer.from([0, 0, 0, type.length]), type, Buffer.from([0, 0, 0, 32]), Buffer.from(point)]);
      return `ssh-ed25519 ${blob.toString("base64")} mallory`;
    };
    const order8 = "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800";
    const cases: [string, string, RegExp][] = [
      ["all zeros", `batou-x25519 ${b64(new Array(32).fill(0))} bob`, /low-order point/],
      ["u = 1", `batou-x25519 ${b64(fill(1, 0, 0))} bob`, /low-order point/],
      ["a point of order 8", `batou-x25519 ${b64(Buffer.from(order8, "hex"))} bob`, /low-order point/],
      ["u = p (not reduced)", `batou-x25519 ${b64(fill(0xed, 0xff, 0x7f))} bob`, /not reduced/],
      ["the top bit set", `batou-x25519 ${b64([...nacl.box.keyPair().publicKey.subarray(0, 31), 0x80])} bob`, /not reduced/],
      ["the ed25519 identity point", sshLine(fill(1, 0, 0)), /low-order point/],
      ["the ed25519 point of order 2", sshLine(fill(0xec, 0xff, 0x7f)), /low-order point/],
      ["an ed25519 y that is not reduced", sshLine(fill(0xee, 0xff, 0x7f)), /not reduced/],
    ];
    for (const [what, line, message] of cases) {
      test(what, () => {
        expect(() => parsePublicKey(line, "the key to add")).toThrow(new RegExp(`^the key to add: invalid .*${message.source}`));
        expect(() => parseRecipients(`${SSH}\n${line}\n`, "environments/prod/recipients")).toThrow(/^environments\/prod\/recipients:2: /);
      });
    }
  });
});
