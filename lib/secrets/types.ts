/** Shared shapes of the secrets engine. */

/** A public key that sealed files are encrypted to (one line of a `recipients` file). */
export interface Recipient {
  /** Key type as written in the recipients file. */
  type: "ssh-ed25519" | "batou-x25519";
  /** The X25519 public key (converted from Ed25519 for `ssh-ed25519`). */
  publicKey: Uint8Array;
  /** See {@link fingerprint}: base64 of the first 16 bytes of sha256(publicKey). */
  fingerprint: string;
  /** The comment after the key, e.g. `alice@laptop` (may be empty). */
  comment: string;
}

/** A private key of the user: it can open sealed files addressed to its fingerprint. */
export interface Identity {
  /** Where it came from (a file path), for messages. */
  source: string;
  /** The key's comment, for messages. */
  comment: string;
  /** The X25519 public key. */
  publicKey: Uint8Array;
  /** Fingerprint of {@link publicKey}. */
  fingerprint: string;
  /**
   * The X25519 secret key. Passphrase-protected keys are decrypted on first use
   * (`BATOU_IDENTITY_PASSPHRASE`, else a terminal prompt when `interactive` is not false)
   * and cached. Throws a {@link SecretsError} naming the key file when that is impossible.
   */
  secretKey(interactive?: boolean): Promise<Uint8Array>;
}
