/**
 * Checks of public keys before anything is encrypted to them or verified with them.
 *
 * A low-order X25519 point (e.g. 32 zero bytes, or what the Ed25519 identity point
 * converts to) makes every Diffie-Hellman result with it all zeros, whatever the secret
 * key: a file "encrypted" to such a key opens without any private key. Non-canonical
 * encodings (a value ≥ p, or the unused top bit set) name the same point under a second
 * fingerprint. Both are refused wherever a key enters batou (recipients files, `secrets
 * add`, sealing), as libsodium and age do.
 */
import * as ed2curve from "ed2curve";
import nacl from "tweetnacl";

/** 2^255 - 19, little-endian. */
const P = new Uint8Array(32).fill(0xff);
P[0] = 0xed;
P[31] = 0x7f;

/** Whether a little-endian 32-byte field element (top bit clear) is < p. */
function belowP(bytes: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    if (bytes[i] !== P[i]) return bytes[i] < P[i];
  }
  return false;
}

const isZero = (bytes: Uint8Array) => bytes.every((b) => b === 0);

/** Any scalar works: X25519 clamps it to a multiple of the cofactor 8, which kills every low-order point. */
const PROBE_SCALAR = new Uint8Array(32).fill(0x5a);

/** True when X25519 with `secretKey` and `publicKey` yields all zeros (a low-order `publicKey`). */
export function sharedSecretIsZero(secretKey: Uint8Array, publicKey: Uint8Array): boolean {
  return isZero(nacl.scalarMult(secretKey, publicKey));
}

/** Why `key` cannot be an X25519 public key (what was expected), or undefined when it can. */
export function x25519KeyProblem(key: Uint8Array): string | undefined {
  if (key.length !== 32) return "32 bytes";
  if (key[31] & 0x80 || !belowP(key)) return "a canonical X25519 point (this encoding is not reduced)";
  if (sharedSecretIsZero(PROBE_SCALAR, key)) return "a key of full order (this is a low-order point: anyone could open what is sealed to it)";
  return undefined;
}

/**
 * Checks an Ed25519 public key: the encoding must be reduced (y < p), the point on the
 * curve and not of low order (checked on the X25519 point it converts to, where every
 * low-order point becomes one). Returns what was expected, or the X25519 form.
 */
export function checkEd25519Key(key: Uint8Array): { problem: string } | { x25519: Uint8Array } {
  if (key.length !== 32) return { problem: "32 bytes" };
  const y = Uint8Array.from(key);
  y[31] &= 0x7f; // the top bit is the sign of x
  if (!belowP(y)) return { problem: "a canonical Ed25519 point (this encoding is not reduced)" };
  const x25519 = ed2curve.convertPublicKey(key);
  if (!x25519) return { problem: "a valid ed25519 point" };
  const problem = x25519KeyProblem(x25519);
  return problem ? { problem } : { x25519 };
}
