/**
 * The sealed-file format, version 1 (see docs/secrets-format.md):
 *
 * ```
 * -----BEGIN BATOU SECRETS v1-----
 * Recipient: <fingerprint> <comment>
 * <base64(ephemeral public key ‖ box(file key)), wrapped at 64>
 * Recipient: ...
 * Body:
 * <base64(nonce ‖ secretbox(content, file key)), wrapped at 64>
 * Mac:
 * <base64(nonce ‖ secretbox(sha512(every line above "Mac:"), file key)), wrapped at 64>
 * -----END BATOU SECRETS v1-----
 * ```
 */
import nacl from "tweetnacl";
import { concat, fromBase64, sha512, toBase64, utf8, wrap } from "./encoding.ts";
import { sharedSecretIsZero, x25519KeyProblem } from "./curve-points.ts";
import { describeRecipient } from "./recipients.ts";
import { NotARecipientError, SecretsError, TamperedError } from "./secrets-error.ts";
import type { Identity, Recipient } from "./types.ts";

/** First line of every v1 sealed file. */
export const BEGIN = "-----BEGIN BATOU SECRETS v1-----";
/** Last line of every v1 sealed file. */
export const END = "-----END BATOU SECRETS v1-----";

const STANZA_DOMAIN = utf8("batou-secrets-v1 recipient nonce");
const KEY_BYTES = nacl.secretbox.keyLength; // 32
const NONCE_BYTES = nacl.secretbox.nonceLength; // 24
const STANZA_BYTES = nacl.box.publicKeyLength + KEY_BYTES + nacl.box.overheadLength; // 80

/** One `Recipient:` block of a parsed sealed file. */
export interface Stanza {
  fingerprint: string;
  comment: string;
  /** ephemeral X25519 public key (32) ‖ box of the file key (48). */
  payload: Uint8Array;
  /** 1-based line of the `Recipient:` line. */
  line: number;
}

/** A sealed file, parsed but not yet opened. */
export interface SealedFile {
  stanzas: Stanza[];
  /** nonce ‖ secretbox ciphertext of the content. */
  body: Uint8Array;
  /** nonce ‖ secretbox of sha512(macInput). */
  mac: Uint8Array;
  /** The bytes the MAC covers: every line before `Mac:`, each ended by "\n". */
  macInput: Uint8Array;
}

/** An opened sealed file: its content and what is needed to re-seal it cheaply. */
export interface OpenedFile {
  sealed: SealedFile;
  fileKey: Uint8Array;
  plaintext: Uint8Array;
}

function corrupt(file: string, line: number, expected: string): TamperedError {
  return new TamperedError(
    `${file}:${line}: tampered or corrupt sealed file: expected ${expected}`,
  );
}

/** Reads base64 continuation lines starting at `start`; returns the bytes and the next line. */
function readBase64(lines: string[], start: number, file: string, what: string): [Uint8Array, number] {
  let i = start;
  let text = "";
  while (i < lines.length && /^[A-Za-z0-9+/=]+$/.test(lines[i])) {
    if (lines[i].length > 64) throw corrupt(file, i + 1, `base64 lines of at most 64 characters (${what})`);
    text += lines[i++];
  }
  const bytes = text ? fromBase64(text) : null;
  if (!bytes) throw corrupt(file, start + 1, `base64 data (${what})`);
  return [bytes, i];
}

/**
 * Parses a sealed file without decrypting it. `file` names it in errors.
 * Throws {@link TamperedError} for anything that is not a well-formed v1 file.
 */
export function parseSealed(text: string, file: string): SealedFile {
  const lines = text.split(/\r?\n/);
  while (lines.length > 1 && lines.at(-1) === "") lines.pop(); // blank lines after END are harmless
  if (lines[0] !== BEGIN) {
    const version = /^-----BEGIN BATOU SECRETS (\S+)-----$/.exec(lines[0] ?? "")?.[1];
    if (version) {
      throw new TamperedError(`${file}: sealed with format ${version}, this batou reads only v1; update batou`);
    }
    throw corrupt(file, 1, `"${BEGIN}"`);
  }
  const stanzas: Stanza[] = [];
  let i = 1;
  while (lines[i]?.startsWith("Recipient: ")) {
    const m = /^Recipient: ([A-Za-z0-9+/]{22})(?: (.*))?$/.exec(lines[i]);
    if (!m) throw corrupt(file, i + 1, `"Recipient: <22-character fingerprint> <comment>"`);
    const line = i + 1;
    const [payload, next] = readBase64(lines, i + 1, file, `recipient ${m[1]}`);
    if (payload.length !== STANZA_BYTES) throw corrupt(file, line + 1, `${STANZA_BYTES} bytes of recipient data`);
    stanzas.push({ fingerprint: m[1], comment: m[2] ?? "", payload, line });
    i = next;
  }
  if (stanzas.length === 0) throw corrupt(file, 2, `at least one "Recipient:" line`);
  if (lines[i] !== "Body:") throw corrupt(file, i + 1, `"Recipient:" or "Body:"`);
  const [body, afterBody] = readBase64(lines, i + 1, file, "body");
  if (body.length < NONCE_BYTES + nacl.secretbox.overheadLength) throw corrupt(file, i + 2, "a complete body");
  i = afterBody;
  if (lines[i] !== "Mac:") throw corrupt(file, i + 1, `"Mac:"`);
  const macInput = utf8(lines.slice(0, i).map((l) => `${l}\n`).join(""));
  const [mac, afterMac] = readBase64(lines, i + 1, file, "mac");
  if (mac.length !== NONCE_BYTES + nacl.secretbox.overheadLength + 64) throw corrupt(file, i + 2, "a complete mac");
  if (lines[afterMac] !== END) throw corrupt(file, afterMac + 1, `"${END}"`);
  if (afterMac + 1 !== lines.length) throw corrupt(file, afterMac + 2, "nothing after the END line");
  return { stanzas, body, mac, macInput };
}

function stanzaNonce(ephemeralPublic: Uint8Array, recipientPublic: Uint8Array): Uint8Array {
  return sha512(concat(STANZA_DOMAIN, ephemeralPublic, recipientPublic)).subarray(0, NONCE_BYTES);
}

/** Seals `fileKey` to one recipient with a fresh ephemeral key pair. */
function makeStanza(fileKey: Uint8Array, recipient: Recipient): Uint8Array {
  const ephemeral = nacl.box.keyPair();
  const nonce = stanzaNonce(ephemeral.publicKey, recipient.publicKey);
  const boxed = nacl.box(fileKey, nonce, recipient.publicKey, ephemeral.secretKey);
  ephemeral.secretKey.fill(0);
  return concat(ephemeral.publicKey, boxed);
}

function secretbox(message: Uint8Array, key: Uint8Array): Uint8Array {
  const nonce = nacl.randomBytes(NONCE_BYTES);
  return concat(nonce, nacl.secretbox(message, nonce, key));
}

function secretboxOpen(data: Uint8Array, key: Uint8Array): Uint8Array | null {
  return nacl.secretbox.open(data.subarray(NONCE_BYTES), data.subarray(0, NONCE_BYTES), key);
}

/** Assembles the text; stanzas of `reuse` are kept byte-for-byte for recipients still present. */
function assemble(
  fileKey: Uint8Array,
  body: Uint8Array,
  recipients: Recipient[],
  reuse: Map<string, Uint8Array> = new Map(),
): string {
  const seen = new Set<string>();
  const lines = [BEGIN];
  for (const r of recipients) {
    const problem = x25519KeyProblem(r.publicKey);
    if (problem) throw new SecretsError(`cannot seal to ${describeRecipient(r)}: expected ${problem}`);
    if (seen.has(r.fingerprint)) continue;
    seen.add(r.fingerprint);
    const comment = r.comment.replace(/[\r\n]+/g, " ").trim();
    lines.push(`Recipient: ${r.fingerprint}${comment ? ` ${comment}` : ""}`);
    lines.push(...wrap(toBase64(reuse.get(r.fingerprint) ?? makeStanza(fileKey, r))));
  }
  if (seen.size === 0) throw new Error("sealing needs at least one recipient");
  lines.push("Body:", ...wrap(toBase64(body)));
  const macInput = utf8(lines.map((l) => `${l}\n`).join(""));
  lines.push("Mac:", ...wrap(toBase64(secretbox(sha512(macInput), fileKey))), END);
  return `${lines.join("\n")}\n`;
}

/** Seals `plaintext` to `recipients` under a fresh random file key. */
export function seal(plaintext: Uint8Array, recipients: Recipient[]): string {
  const fileKey = nacl.randomBytes(KEY_BYTES);
  try {
    return assemble(fileKey, secretbox(plaintext, fileKey), recipients);
  } finally {
    fileKey.fill(0);
  }
}

/** The fingerprints a sealed file is addressed to. */
export function sealedFingerprints(sealed: SealedFile): string[] {
  return sealed.stanzas.map((s) => s.fingerprint);
}

/**
 * Decides how a sealed file must change for a new recipient list:
 * `"unchanged"` (same fingerprints), `"add"` (only additions: the file key and body are
 * kept, existing stanzas stay byte-identical — a small git diff), or `"rekey"` (a
 * recipient was removed, or `force`: a fresh file key and body).
 */
export function rewrapPlan(sealed: SealedFile, recipients: Recipient[], force = false): "unchanged" | "add" | "rekey" {
  if (force) return "rekey";
  const old = new Set(sealedFingerprints(sealed));
  const wanted = new Set(recipients.map((r) => r.fingerprint));
  if ([...old].some((fp) => !wanted.has(fp))) return "rekey";
  return old.size === wanted.size ? "unchanged" : "add";
}

/** Re-seals an opened file for `recipients` following {@link rewrapPlan}; `null` when unchanged. */
export function rewrap(opened: OpenedFile, recipients: Recipient[], force = false): string | null {
  const plan = rewrapPlan(opened.sealed, recipients, force);
  if (plan === "unchanged") return null;
  if (plan === "rekey") return seal(opened.plaintext, recipients);
  const reuse = new Map(opened.sealed.stanzas.map((s) => [s.fingerprint, s.payload] as const));
  return assemble(opened.fileKey, opened.sealed.body, recipients, reuse);
}

function describeRecipients(sealed: SealedFile): string {
  return sealed.stanzas.map((s) => `  ${describeRecipient(s)}`).join("\n");
}

/**
 * Opens one stanza with one secret key. A low-order ephemeral key gives an all-zero
 * shared secret that anyone can compute, so such a stanza is refused (as age does).
 */
function openStanza(stanza: Stanza, identity: Identity, secretKey: Uint8Array, file: string): Uint8Array | null {
  const ephemeral = stanza.payload.subarray(0, nacl.box.publicKeyLength);
  if (sharedSecretIsZero(secretKey, ephemeral)) {
    throw new TamperedError(
      `${file}:${stanza.line}: tampered or corrupt: the recipient block for ${stanza.fingerprint} uses a low-order ` +
        `ephemeral key (an all-zero shared secret that anyone could compute)`,
    );
  }
  const nonce = stanzaNonce(ephemeral, identity.publicKey);
  return nacl.box.open(stanza.payload.subarray(nacl.box.publicKeyLength), nonce, ephemeral, secretKey);
}

/** Finds the file key with one of `identities`; errors name the file and its recipients. */
async function unwrapFileKey(sealed: SealedFile, identities: Identity[], file: string): Promise<Uint8Array> {
  for (const stanza of sealed.stanzas) {
    for (const identity of identities.filter((id) => id.fingerprint === stanza.fingerprint)) {
      const key = openStanza(stanza, identity, await identity.secretKey(true), file);
      if (key) return key;
      throw new TamperedError(
        `${file}:${stanza.line}: tampered or corrupt: the recipient block for ${stanza.fingerprint} ` +
          `does not open with ${identity.source}, whose fingerprint it names`,
      );
    }
  }
  // No fingerprint matched: maybe a fingerprint itself was altered. Try quietly.
  for (const stanza of sealed.stanzas) {
    for (const identity of identities) {
      const secretKey = await identity.secretKey(false).catch(() => null);
      const key = secretKey && openStanza(stanza, identity, secretKey, file);
      if (key) return key;
    }
  }
  const mine = identities.map((id) => `  ${id.fingerprint} ${id.source}`).join("\n") || "  (none)";
  throw new NotARecipientError(
    `${file}: none of your identities can open this file.\nIt is sealed to:\n${describeRecipients(sealed)}\n` +
      `Your identities (BATOU_IDENTITY, else ~/.ssh/id_ed25519):\n${mine}\n` +
      `Ask a recipient to run \`batou secrets add '<your public key>'\`.`,
  );
}

/**
 * Opens a sealed file with the first identity that is one of its recipients.
 * Throws {@link TamperedError} when any byte of it was altered and
 * {@link NotARecipientError} (listing the recipients) when no identity fits.
 */
export async function openSealed(text: string, identities: Identity[], file: string): Promise<OpenedFile> {
  const sealed = parseSealed(text, file);
  const fileKey = await unwrapFileKey(sealed, identities, file);
  const digest = secretboxOpen(sealed.mac, fileKey);
  if (!digest || !nacl.verify(digest, sha512(sealed.macInput))) {
    throw new TamperedError(`${file}: tampered or corrupt: the header, recipient list or body does not match its Mac`);
  }
  const plaintext = secretboxOpen(sealed.body, fileKey);
  if (!plaintext) throw new TamperedError(`${file}: tampered or corrupt: the body does not decrypt`);
  return { sealed, fileKey, plaintext };
}
