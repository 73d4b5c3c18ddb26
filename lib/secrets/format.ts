/**
 * The sealed-file format (see docs/secrets-format.md). batou writes version 2:
 *
 * ```
 * -----BEGIN BATOU SECRETS v2-----
 * Environment: <environment>
 * File: <file name, e.g. secrets.toml.nacl>
 * Recipient: <fingerprint> <comment>
 * <base64(ephemeral public key ‖ box(file key)), wrapped at 64>
 * Recipient: ...
 * Body:
 * <base64(nonce ‖ secretbox(content, file key)), wrapped at 64>
 * Signer: <fingerprint> <comment>
 * <base64(the signer's Ed25519 public key)>
 * Signature:
 * <base64(Ed25519 signature of every line above "Signature:"), wrapped at 64>
 * -----END BATOU SECRETS v2-----
 * ```
 *
 * and reads version 1 (no Environment/File/Signer, a `Mac:` under the file key instead
 * of the signature) so that existing files can be opened once more and re-sealed.
 * Recipient blocks and the body are built the same way in both versions.
 */
import nacl from "tweetnacl";
import { concat, fromBase64, sha512, toBase64, utf8, wrap } from "./encoding.ts";
import { sharedSecretIsZero, x25519KeyProblem } from "./curve-points.ts";
import { type Binding, checkProvenance, type Provenance, type TrustPolicy } from "./provenance.ts";
import { describeRecipient } from "./recipients.ts";
import { NotARecipientError, SecretsError, TamperedError } from "./secrets-error.ts";
import { signMessage } from "./signature.ts";
import type { Identity, Recipient, Signer } from "./types.ts";

const armor = (edge: "BEGIN" | "END", version: number) => `-----${edge} BATOU SECRETS v${version}-----`;
/** First line of every sealed file batou writes (format v2). */
export const BEGIN = armor("BEGIN", 2);
/** Last line of every sealed file batou writes. */
export const END = armor("END", 2);

/** Kept from v1 so that recipient blocks carry over unchanged when a v1 file is re-sealed. */
const STANZA_DOMAIN = utf8("batou-secrets-v1 recipient nonce");
const KEY_BYTES = nacl.secretbox.keyLength; // 32
const NONCE_BYTES = nacl.secretbox.nonceLength; // 24
const STANZA_BYTES = nacl.box.publicKeyLength + KEY_BYTES + nacl.box.overheadLength; // 80
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** One `Recipient:` block of a parsed sealed file. */
export interface Stanza {
  fingerprint: string;
  comment: string;
  /** ephemeral X25519 public key (32) ‖ box of the file key (48). */
  payload: Uint8Array;
  /** 1-based line of the `Recipient:` line. */
  line: number;
}

/** The `Signer:` block of a v2 file: who sealed it, with the key that checks the signature. */
export interface SignerBlock {
  fingerprint: string;
  comment: string;
  /** The signer's Ed25519 public key. */
  publicKey: Uint8Array;
  /** 1-based line of the `Signer:` line. */
  line: number;
}

interface SealedCommon {
  stanzas: Stanza[];
  /** nonce ‖ secretbox ciphertext of the content. */
  body: Uint8Array;
}

/** A v1 file: authenticated only under its own file key (anyone can write one). */
export interface SealedV1 extends SealedCommon {
  version: 1;
  /** nonce ‖ secretbox of sha512(macInput). */
  mac: Uint8Array;
  /** Every line before `Mac:`, each ended by "\n". */
  macInput: Uint8Array;
}

/** A v2 file: bound to its place and signed by its sealer. */
export interface SealedV2 extends SealedCommon {
  version: 2;
  binding: Binding;
  signer: SignerBlock;
  signature: Uint8Array;
  /** Every line before `Signature:`, each ended by "\n": what the signature covers. */
  signedInput: Uint8Array;
  /** 1-based line of `Signature:`. */
  signatureLine: number;
}

/** A sealed file, parsed but neither checked nor opened. */
export type SealedFile = SealedV1 | SealedV2;

/** An opened sealed file: its content, who sealed it, and what re-sealing it cheaply needs. */
export interface OpenedFile {
  sealed: SealedFile;
  fileKey: Uint8Array;
  plaintext: Uint8Array;
  provenance: Provenance;
}

function corrupt(file: string, line: number, expected: string): TamperedError {
  return new TamperedError(`${file}:${line}: tampered or corrupt sealed file: expected ${expected}`);
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

const linesBefore = (lines: string[], end: number) => utf8(lines.slice(0, end).map((l) => `${l}\n`).join(""));

/**
 * Parses a sealed file (v1 or v2) without checking or decrypting it. `file` names it in
 * errors. Throws {@link TamperedError} for anything that is not well-formed.
 */
export function parseSealed(text: string, file: string): SealedFile {
  const lines = text.split(/\r?\n/);
  while (lines.length > 1 && lines.at(-1) === "") lines.pop(); // blank lines after END are harmless
  const version = lines[0] === armor("BEGIN", 1) ? 1 : lines[0] === BEGIN ? 2 : undefined;
  if (version === undefined) {
    const other = /^-----BEGIN BATOU SECRETS (\S+)-----$/.exec(lines[0] ?? "")?.[1];
    if (other) throw new TamperedError(`${file}: sealed with format ${other}, this batou reads v1 and v2; update batou`);
    throw corrupt(file, 1, `"${BEGIN}"`);
  }
  let i = 1;
  let binding: Binding | undefined;
  if (version === 2) {
    const environment = /^Environment: (\S+)$/.exec(lines[1] ?? "")?.[1];
    if (!environment || !NAME.test(environment)) throw corrupt(file, 2, `"Environment: <environment name>"`);
    const name = /^File: (\S+)$/.exec(lines[2] ?? "")?.[1];
    if (!name || !NAME.test(name)) throw corrupt(file, 3, `"File: <file name>"`);
    binding = { environment, file: name };
    i = 3;
  }
  const stanzas: Stanza[] = [];
  while (lines[i]?.startsWith("Recipient: ")) {
    const m = /^Recipient: ([A-Za-z0-9+/]{22})(?: (.*))?$/.exec(lines[i]);
    if (!m) throw corrupt(file, i + 1, `"Recipient: <22-character fingerprint> <comment>"`);
    const line = i + 1;
    const [payload, next] = readBase64(lines, i + 1, file, `recipient ${m[1]}`);
    if (payload.length !== STANZA_BYTES) throw corrupt(file, line + 1, `${STANZA_BYTES} bytes of recipient data`);
    stanzas.push({ fingerprint: m[1], comment: m[2] ?? "", payload, line });
    i = next;
  }
  if (stanzas.length === 0) throw corrupt(file, i + 1, `at least one "Recipient:" line`);
  if (lines[i] !== "Body:") throw corrupt(file, i + 1, `"Recipient:" or "Body:"`);
  const [body, afterBody] = readBase64(lines, i + 1, file, "body");
  if (body.length < NONCE_BYTES + nacl.secretbox.overheadLength) throw corrupt(file, i + 2, "a complete body");
  i = afterBody;
  const end = (after: number) => {
    if (lines[after] !== armor("END", version)) throw corrupt(file, after + 1, `"${armor("END", version)}"`);
    if (after + 1 !== lines.length) throw corrupt(file, after + 2, "nothing after the END line");
  };
  if (version === 1) {
    if (lines[i] !== "Mac:") throw corrupt(file, i + 1, `"Mac:"`);
    const macInput = linesBefore(lines, i);
    const [mac, afterMac] = readBase64(lines, i + 1, file, "mac");
    if (mac.length !== NONCE_BYTES + nacl.secretbox.overheadLength + 64) throw corrupt(file, i + 2, "a complete mac");
    end(afterMac);
    return { version, stanzas, body, mac, macInput };
  }
  const s = /^Signer: ([A-Za-z0-9+/]{22})(?: (.*))?$/.exec(lines[i] ?? "");
  if (!s) throw corrupt(file, i + 1, `"Signer: <22-character fingerprint> <comment>"`);
  const signerLine = i + 1;
  const [publicKey, afterSigner] = readBase64(lines, i + 1, file, "signer key");
  if (publicKey.length !== nacl.sign.publicKeyLength) throw corrupt(file, i + 2, "a 32-byte Ed25519 signer key");
  i = afterSigner;
  if (lines[i] !== "Signature:") throw corrupt(file, i + 1, `"Signature:"`);
  const signedInput = linesBefore(lines, i);
  const [signature, afterSignature] = readBase64(lines, i + 1, file, "signature");
  if (signature.length !== nacl.sign.signatureLength) throw corrupt(file, i + 2, "a 64-byte signature");
  end(afterSignature);
  return {
    version,
    binding: binding!,
    stanzas,
    body,
    signer: { fingerprint: s[1], comment: s[2] ?? "", publicKey, line: signerLine },
    signature,
    signedInput,
    signatureLine: i + 1,
  };
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

const oneLine = (text: string) => text.replace(/[\r\n]+/g, " ").trim();

/**
 * Assembles a v2 file; stanzas of `reuse` are kept byte-for-byte for recipients still
 * present. Refuses recipients with unusable keys (see {@link x25519KeyProblem}).
 */
function assemble(
  fileKey: Uint8Array,
  body: Uint8Array,
  recipients: Recipient[],
  signer: Signer,
  binding: Binding,
  reuse: Map<string, Uint8Array> = new Map(),
): string {
  if (!NAME.test(binding.environment) || !NAME.test(binding.file)) {
    throw new SecretsError(`cannot seal for ${binding.environment}/${binding.file}: not a valid environment and file name`);
  }
  const seen = new Set<string>();
  const lines = [BEGIN, `Environment: ${binding.environment}`, `File: ${binding.file}`];
  for (const r of recipients) {
    const problem = x25519KeyProblem(r.publicKey);
    if (problem) throw new SecretsError(`cannot seal to ${describeRecipient(r)}: expected ${problem}`);
    if (seen.has(r.fingerprint)) continue;
    seen.add(r.fingerprint);
    const comment = oneLine(r.comment);
    lines.push(`Recipient: ${r.fingerprint}${comment ? ` ${comment}` : ""}`);
    lines.push(...wrap(toBase64(reuse.get(r.fingerprint) ?? makeStanza(fileKey, r))));
  }
  if (seen.size === 0) throw new SecretsError("sealing needs at least one recipient");
  const signerComment = oneLine(signer.comment);
  lines.push("Body:", ...wrap(toBase64(body)));
  lines.push(`Signer: ${signer.fingerprint}${signerComment ? ` ${signerComment}` : ""}`, toBase64(signer.publicKey));
  const signature = signMessage(linesBefore(lines, lines.length), signer.secretKey);
  lines.push("Signature:", ...wrap(toBase64(signature)), END);
  return `${lines.join("\n")}\n`;
}

/** Seals `plaintext` for `binding` to `recipients` under a fresh file key, signed by `signer`. */
export function seal(plaintext: Uint8Array, recipients: Recipient[], signer: Signer, binding: Binding): string {
  const fileKey = nacl.randomBytes(KEY_BYTES);
  try {
    return assemble(fileKey, secretbox(plaintext, fileKey), recipients, signer, binding);
  } finally {
    fileKey.fill(0);
  }
}

/** The fingerprints a sealed file is addressed to. */
export function sealedFingerprints(sealed: SealedFile): string[] {
  return sealed.stanzas.map((s) => s.fingerprint);
}

/** How a sealed file must change, see {@link rewrapPlan}. */
export type RewrapPlan = "unchanged" | "resign" | "add" | "rekey";

/**
 * Decides how a sealed file must change for a new recipient list:
 * `"rekey"` when a recipient was removed (or `force`): a fresh file key and body;
 * `"add"` when recipients were only added: the file key, body and existing blocks are
 * kept (a small git diff); `"resign"` when the recipients are the same but the file must
 * be signed again (`resign`: unsigned, or signed by someone who may no longer sign);
 * else `"unchanged"`.
 */
export function rewrapPlan(sealed: SealedFile, recipients: Recipient[], options: { force?: boolean; resign?: boolean } = {}): RewrapPlan {
  if (options.force) return "rekey";
  const old = new Set(sealedFingerprints(sealed));
  const wanted = new Set(recipients.map((r) => r.fingerprint));
  if ([...old].some((fp) => !wanted.has(fp))) return "rekey";
  if (old.size !== wanted.size) return "add";
  return options.resign ? "resign" : "unchanged";
}

/** Re-seals an opened file following `plan` (see {@link rewrapPlan}); `null` when unchanged. */
export function rewrap(opened: OpenedFile, plan: RewrapPlan, recipients: Recipient[], signer: Signer, binding: Binding): string | null {
  if (plan === "unchanged") return null;
  if (plan === "rekey") return seal(opened.plaintext, recipients, signer, binding);
  const reuse = new Map(opened.sealed.stanzas.map((s) => [s.fingerprint, s.payload] as const));
  return assemble(opened.fileKey, opened.sealed.body, recipients, signer, binding, reuse);
}

function describeStanzas(sealed: SealedFile): string {
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

/** What to tell someone none of whose identities opens `sealed`. */
function notARecipient(sealed: SealedFile, identities: Identity[], file: string, trust: TrustPolicy): NotARecipientError {
  const mine = identities.map((id) => `  ${id.fingerprint} ${id.source}`).join("\n") || "  (none)";
  const listed = identities.find((id) => trust.signers?.some((r) => r.fingerprint === id.fingerprint));
  const env = trust.binding?.environment;
  const ask = listed
    ? `Your key ${listed.fingerprint} (${listed.source}) is listed in ${trust.signersFile ?? "the recipients file"}, but this ` +
      `file was sealed before it was added: ask a recipient to run \`batou secrets reencrypt${env ? ` --environments ${env}` : ""}\`.`
    : "Ask a recipient to run `batou secrets add '<your public key>'`.";
  return new NotARecipientError(
    `${file}: none of your identities can open this file.\nIt is sealed to:\n${describeStanzas(sealed)}\n` +
      `Your identities (BATOU_IDENTITY, else ~/.ssh/id_ed25519):\n${mine}\n${ask}`,
  );
}

/** Finds the file key with one of `identities`; errors name the file and its recipients. */
async function unwrapFileKey(sealed: SealedFile, identities: Identity[], file: string, trust: TrustPolicy): Promise<Uint8Array> {
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
  throw notARecipient(sealed, identities, file, trust);
}

/**
 * Opens a sealed file: checks who sealed it against `trust` first (no key needed, see
 * {@link checkProvenance}), then opens it with the first identity that is one of its
 * recipients. Throws {@link TamperedError} when any byte was altered,
 * {@link NotARecipientError} (listing the recipients) when no identity fits, and an
 * {@link UntrustedError} when the file is not signed by someone `trust` accepts.
 */
export async function openSealed(
  text: string | SealedFile,
  identities: Identity[],
  file: string,
  trust: TrustPolicy = {},
): Promise<OpenedFile> {
  const sealed = typeof text === "string" ? parseSealed(text, file) : text;
  const provenance = checkProvenance(sealed, file, trust);
  const fileKey = await unwrapFileKey(sealed, identities, file, trust);
  if (sealed.version === 1) {
    const digest = secretboxOpen(sealed.mac, fileKey);
    if (!digest || !nacl.verify(digest, sha512(sealed.macInput))) {
      throw new TamperedError(`${file}: tampered or corrupt: the header, recipient list or body does not match its Mac`);
    }
  }
  const plaintext = secretboxOpen(sealed.body, fileKey);
  if (!plaintext) throw new TamperedError(`${file}: tampered or corrupt: the body does not decrypt`);
  return { sealed, fileKey, plaintext, provenance };
}
