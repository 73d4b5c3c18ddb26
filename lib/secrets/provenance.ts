/**
 * Who sealed a file, and whether that is acceptable: the checks of a sealed file that
 * need no private key. A v2 file names the environment and file it was sealed for and is
 * signed by its sealer; it is accepted when it is in that place and the signer is a
 * recipient of the environment (its line in `recipients` carries the signing key). A v1
 * file is not signed at all: anyone can write one with the public recipients file.
 */
import { describeRecipient } from "./recipients.ts";
import { TamperedError, UntrustedError } from "./secrets-error.ts";
import { verifyMessage } from "./signature.ts";
import type { SealedFile } from "./format.ts";
import type { Recipient } from "./types.ts";

/** Where a sealed file belongs: its environment and file name (`secrets.toml.nacl`, `secret-NAME.nacl`). */
export interface Binding {
  environment: string;
  file: string;
}

/** What a reader accepts. Everything absent is not checked. */
export interface TrustPolicy {
  /** Where the file is read from: a file sealed for another place is refused. */
  binding?: Binding;
  /** Who may sign: the environment's recipients. Absent: only the signature's integrity is checked. */
  signers?: readonly Recipient[];
  /** Names the recipients file in messages, e.g. `environments/prod/recipients`. */
  signersFile?: string;
  /** Accept unsigned v1 files: only to re-seal (migrate) them. */
  allowUnsigned?: boolean;
  /** Accept a valid signature by someone not in `signers` (`reencrypt -f`: the user vouches for it). */
  allowUnlistedSigner?: boolean;
}

/** Who sealed a file, as far as it can be told. */
export interface Provenance {
  version: 1 | 2;
  /** The signer as the file names it (v2 only). */
  signer?: Pick<Recipient, "fingerprint" | "comment">;
  /** True when the signer is one of `signers`, with the signing key listed for it. */
  listed: boolean;
}

/**
 * Checks a parsed sealed file against `trust` and returns who sealed it. Throws a
 * {@link TamperedError} when the signature does not match and an {@link UntrustedError}
 * (saying what to do) when the file is intact but not acceptable.
 */
export function checkProvenance(sealed: SealedFile, file: string, trust: TrustPolicy): Provenance {
  const env = trust.binding?.environment;
  const environments = env ? ` --environments ${env}` : "";
  if (sealed.version === 1) {
    if (trust.allowUnsigned) return { version: 1, listed: false };
    throw new UntrustedError(
      `${file}: not signed (sealed-file format v1, written by an older batou): anyone who can write the repository ` +
        `could have written it, so it is refused. A recipient signs it once with \`batou secrets reencrypt${environments}\`.`,
    );
  }
  const bound = sealed.binding;
  if (trust.binding && (bound.environment !== trust.binding.environment || bound.file !== trust.binding.file)) {
    throw new UntrustedError(
      `${file}: sealed for environments/${bound.environment}/${bound.file}: a sealed file that was copied or renamed ` +
        `is refused (its environment and name are signed). Seal the content here with \`batou secrets edit\`.`,
    );
  }
  if (!verifyMessage(sealed.signedInput, sealed.signature, sealed.signer.publicKey)) {
    throw new TamperedError(`${file}:${sealed.signatureLine}: tampered or corrupt: the signature does not match the file`);
  }
  const signer = { fingerprint: sealed.signer.fingerprint, comment: sealed.signer.comment };
  if (!trust.signers) return { version: 2, signer, listed: false };
  const listed = trust.signers.find((r) => r.fingerprint === signer.fingerprint);
  const sameKey = listed?.signingKey && Buffer.from(listed.signingKey).equals(Buffer.from(sealed.signer.publicKey));
  if (sameKey) return { version: 2, signer, listed: true };
  if (trust.allowUnlistedSigner) return { version: 2, signer, listed: false };
  const where = trust.signersFile ?? "the recipients file";
  const resign = `check its content (\`batou secrets decrypttostdout ${file}\`) and re-sign it with \`batou secrets reencrypt -f${environments}\``;
  if (!listed) {
    throw new UntrustedError(
      `${file}: signed by ${describeRecipient(signer)}, who is not a recipient in ${where}; only a recipient's signature ` +
        `is accepted (anyone can seal a file with the public recipients file). If that key should be a recipient, add it ` +
        `with \`batou secrets add\`; otherwise ${resign}.`,
    );
  }
  if (!listed.signingKey) {
    throw new UntrustedError(
      `${file}: signed by ${describeRecipient(listed)}, whose line in ${where} has no signing key (a batou-x25519 key ` +
        `from an older batou): its owner runs \`batou secrets reencrypt -f${environments}\`, which records it.`,
    );
  }
  throw new UntrustedError(
    `${file}: signed in the name of ${describeRecipient(listed)}, but not with that recipient's key in ${where}; ${resign}.`,
  );
}
