/**
 * Who seals, when the user writes sealed files (`edit`, `add`, `remove`, `reencrypt`):
 * the first of the user's identities that is a recipient of the environment. Its
 * signature is what readers check, so a user who is not a recipient cannot seal at all.
 *
 * A `batou-x25519` recipient line written by an older batou has no signing key; when its
 * owner seals, the line is completed with the key (same fingerprint, so no file changes
 * because of it) and readers can check that owner's signatures from then on.
 */
import { readFileSync } from "node:fs";
import { writeFileAtomic } from "../engine/atomic-file.ts";
import { describeRecipient, parsePublicKey, type RecipientLine } from "./recipients.ts";
import { SecretsError } from "./secrets-error.ts";
import type { Identity, Recipient } from "./types.ts";

/** The identity that signs what the user seals for recipients `recipients` (named `recipientsFile`). */
export function sealerIdentity(identities: Identity[], recipients: readonly Recipient[], recipientsFile: string): Identity {
  const sealer = identities.find((id) => recipients.some((r) => r.fingerprint === id.fingerprint));
  if (sealer) return sealer;
  const mine = identities.map((id) => `  ${id.fingerprint} ${id.source}`).join("\n") || "  (none)";
  throw new SecretsError(
    `none of your identities is a recipient in ${recipientsFile}, so nothing you seal for it would be accepted ` +
      `(a sealed file must be signed by a recipient).\nYour identities (BATOU_IDENTITY, else ~/.ssh/id_ed25519):\n${mine}\n` +
      "Ask a recipient to run `batou secrets add '<your public key>'`.",
  );
}

/** `recipients` with the sealer's signing key on its own line where that line has none. */
export function withSealerSigningKey<R extends Recipient>(recipients: R[], sealer: Identity): R[] {
  return recipients.map((r) => (r.fingerprint === sealer.fingerprint && !r.signingKey ? { ...r, signingKey: sealer.signingKey } : r));
}

/** Whether the sealer's line in `recipients` lacks its signing key (see {@link recordSigningKey}). */
export function needsSigningKey(recipients: readonly RecipientLine[], sealer: Identity): boolean {
  return recipients.some((r) => r.fingerprint === sealer.fingerprint && !r.signingKey);
}

/**
 * Completes the sealer's line in the recipients file at `path` with its signing key,
 * keeping the line's comment; returns a line for the log.
 */
export function recordSigningKey(path: string, display: string, sealer: Identity): string {
  const [type, key] = sealer.publicLine.split(" ");
  const lines = readFileSync(path, "utf8").split("\n");
  const updated = lines.map((line) => {
    const text = line.trim();
    if (!text || text.startsWith("#")) return line;
    const r = parsePublicKey(text, display);
    if (r.fingerprint !== sealer.fingerprint || r.signingKey) return line;
    return `${type} ${key}${r.comment ? ` ${r.comment}` : ""}`;
  });
  writeFileAtomic(path, updated.join("\n"), { mode: 0o644 });
  return `${display}: recorded the signing key of ${describeRecipient({ fingerprint: sealer.fingerprint, comment: sealer.comment })}`;
}
