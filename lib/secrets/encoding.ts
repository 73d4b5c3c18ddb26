/** Small byte/base64 helpers shared by the secrets modules. */
import nacl from "tweetnacl";

/** Standard base64 (with padding) of `bytes`. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes strict standard base64; returns `null` when `text` is not canonical base64
 * (Buffer's decoder silently skips junk, which would hide corruption).
 */
export function fromBase64(text: string): Uint8Array | null {
  if (!BASE64.test(text) || text.length % 4 !== 0) return null;
  const bytes = new Uint8Array(Buffer.from(text, "base64"));
  return toBase64(bytes) === text ? bytes : null;
}

/** Splits `text` into lines of at most `width` characters. */
export function wrap(text: string, width = 64): string[] {
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += width) lines.push(text.slice(i, i + width));
  return lines.length ? lines : [""];
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/**
 * The fingerprint that names an X25519 public key in recipient lists and sealed files:
 * standard base64 of the first 16 bytes of its SHA-256, without padding (22 characters).
 */
export function fingerprint(x25519PublicKey: Uint8Array): string {
  const digest = new Bun.CryptoHasher("sha256").update(x25519PublicKey).digest();
  return toBase64(new Uint8Array(digest).subarray(0, 16)).replace(/=+$/, "");
}

/** SHA-512 (tweetnacl's hash). */
export function sha512(bytes: Uint8Array): Uint8Array {
  return nacl.hash(bytes);
}
