/**
 * Writes sealed files in the old, unsigned format v1, from its specification in
 * docs/secrets-format.md ("The unsigned format v1"): batou no longer writes v1, but it
 * must still read such files once to migrate them, and must refuse them in deployments.
 */
import nacl from "tweetnacl";
import type { Recipient } from "../../lib/secrets/types.ts";

const enc = new TextEncoder();
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
const wrap = (text: string) => text.match(/.{1,64}/g) ?? [""];
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
};

/** A v1 sealed file of `content` for `recipients`. */
export function sealV1(content: string, recipients: Recipient[]): string {
  const key = nacl.randomBytes(32);
  const lines = ["-----BEGIN BATOU SECRETS v1-----"];
  for (const r of recipients) {
    const e = nacl.box.keyPair();
    const nonce = nacl.hash(cat(enc.encode("batou-secrets-v1 recipient nonce"), e.publicKey, r.publicKey)).subarray(0, 24);
    lines.push(`Recipient: ${r.fingerprint} ${r.comment}`.trimEnd(), ...wrap(b64(cat(e.publicKey, nacl.box(key, nonce, r.publicKey, e.secretKey)))));
  }
  const nb = nacl.randomBytes(24);
  lines.push("Body:", ...wrap(b64(cat(nb, nacl.secretbox(enc.encode(content), nb, key)))));
  const nm = nacl.randomBytes(24);
  const digest = nacl.hash(enc.encode(lines.map((l) => `${l}\n`).join("")));
  lines.push("Mac:", ...wrap(b64(cat(nm, nacl.secretbox(digest, nm, key)))), "-----END BATOU SECRETS v1-----");
  return `${lines.join("\n")}\n`;
}
