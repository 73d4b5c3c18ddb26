/**
 * Release signing (tweetnacl ed25519): keys, detached signatures of
 * manifest.json (stored base64 in manifest.json.sig). Launchers verify with
 * node:crypto (see launcher.ts) so that they stay dependency-free.
 */
import { readFileSync } from "node:fs";
import nacl from "tweetnacl";

export interface SigningKey {
  secretKey: Uint8Array;
  /** base64 of the 32-byte public key, as listed in trusted-keys.ts and launchers. */
  publicKey: string;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

/** A new key pair: `secret` is what BATOU_RELEASE_KEY holds. */
export function generateSigningKey(): { secret: string; publicKey: string } {
  const pair = nacl.sign.keyPair();
  return { secret: b64(pair.secretKey), publicKey: b64(pair.publicKey) };
}

/** A key from its base64 text: the 64-byte secret key or its 32-byte seed. */
export function parseSigningKey(text: string): SigningKey {
  const raw = new Uint8Array(Buffer.from(text.trim(), "base64"));
  let pair: nacl.SignKeyPair;
  if (raw.length === 64) pair = nacl.sign.keyPair.fromSecretKey(raw);
  else if (raw.length === 32) pair = nacl.sign.keyPair.fromSeed(raw);
  else throw new Error(`a release key is 64 (secret key) or 32 (seed) bytes in base64; got ${raw.length} bytes`);
  return { secretKey: pair.secretKey, publicKey: b64(pair.publicKey) };
}

/** The signing key from BATOU_RELEASE_KEY or BATOU_RELEASE_KEY_FILE; never from the repository. */
export function loadSigningKey(env: Record<string, string | undefined> = process.env): SigningKey {
  if (env.BATOU_RELEASE_KEY) return parseSigningKey(env.BATOU_RELEASE_KEY);
  if (env.BATOU_RELEASE_KEY_FILE) return parseSigningKey(readFileSync(env.BATOU_RELEASE_KEY_FILE, "utf8"));
  throw new Error("no release key: set BATOU_RELEASE_KEY (base64 secret key) or BATOU_RELEASE_KEY_FILE (see docs/bootstrap.md)");
}

/** The detached signature of `data`, base64 (the content of manifest.json.sig). */
export function sign(data: Uint8Array, key: SigningKey): string {
  return b64(nacl.sign.detached(data, key.secretKey));
}
