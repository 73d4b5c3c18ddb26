/** Types for the untyped `ed2curve` package (Ed25519 → X25519 key conversion). */
declare module "ed2curve" {
  /** Converts an Ed25519 public key to X25519; `null` for an invalid point. */
  export function convertPublicKey(publicKey: Uint8Array): Uint8Array | null;
  /** Converts an Ed25519 secret key (its first 32 bytes, the seed, are used) to X25519. */
  export function convertSecretKey(secretKey: Uint8Array): Uint8Array;
}
