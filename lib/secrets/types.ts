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
  /**
   * The Ed25519 public key that checks this recipient's signatures: the key itself for
   * `ssh-ed25519`, the second half of a 64-byte `batou-x25519` key. Absent for a
   * 32-byte `batou-x25519` key written by an older batou (it can read, not sign).
   */
  signingKey?: Uint8Array;
}

/** What seals and signs a file: the sealer's recipient fingerprint and Ed25519 key pair. */
export interface Signer {
  /** Fingerprint of the sealer's X25519 key: the recipient that signed. */
  fingerprint: string;
  comment: string;
  /** Ed25519 public key (32 bytes). */
  publicKey: Uint8Array;
  /** tweetnacl Ed25519 secret key (64 bytes). */
  secretKey: Uint8Array;
}

/** A private key of the user: it can open sealed files addressed to its fingerprint, and sign. */
export interface Identity {
  /** Where it came from (a file path), for messages. */
  source: string;
  /** The key's comment, for messages. */
  comment: string;
  /** The X25519 public key. */
  publicKey: Uint8Array;
  /** Fingerprint of {@link publicKey}. */
  fingerprint: string;
  /** The Ed25519 public key its signatures are checked with (known without a passphrase). */
  signingKey: Uint8Array;
  /** The public line for a recipients file (`ssh-ed25519 …` or `batou-x25519 …`), with its signing key. */
  publicLine: string;
  /**
   * The X25519 secret key. Passphrase-protected keys are decrypted on first use
   * (`BATOU_IDENTITY_PASSPHRASE`, else a terminal prompt when `interactive` is not false)
   * and cached. Throws a {@link SecretsError} naming the key file when that is impossible.
   */
  secretKey(interactive?: boolean): Promise<Uint8Array>;
  /** The key pair that signs what this identity seals (decrypted like {@link secretKey}). */
  signer(interactive?: boolean): Promise<Signer>;
}
