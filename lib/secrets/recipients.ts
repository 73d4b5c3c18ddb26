/**
 * Public keys and `environments/ENV/recipients` files.
 *
 * A recipients file holds one public key a line, `#` comments and blank lines:
 *
 * ```
 * # the ops team
 * ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI... alice@laptop
 * batou-x25519 q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq8= bob@desktop
 * ```
 */
import { existsSync, readFileSync } from "node:fs";
import * as ed2curve from "ed2curve";
import { ed25519EncodingProblem, x25519KeyProblem } from "./curve-points.ts";
import { fingerprint, fromBase64, toBase64 } from "./encoding.ts";
import { SecretsError } from "./secrets-error.ts";
import { readSshString } from "../openssh-key.ts";
import { escapeForTerminal } from "../terminal.ts";
import type { Recipient } from "./types.ts";

/** Key type word of batou's own (X25519) public keys. */
export const NATIVE_PUBLIC_TYPE = "batou-x25519";

/** A recipients-file line that parsed, with where it was. */
export interface RecipientLine extends Recipient {
  /** 1-based line number in the recipients file. */
  lineNumber: number;
  /** The line as written. */
  text: string;
}

/**
 * Converts the SSH wire blob of an `ssh-ed25519` public key to X25519.
 * Returns an error text (what was expected) instead of throwing.
 */
export function sshEd25519BlobToX25519(blob: Uint8Array): Uint8Array | string {
  const type = readSshString(blob, 0);
  if (!type) return "an SSH public key blob";
  const typeName = new TextDecoder().decode(type[0]);
  if (typeName !== "ssh-ed25519") return `an ssh-ed25519 key blob, found ${typeName}`;
  const key = readSshString(blob, type[1]);
  if (!key || key[0].length !== 32 || key[1] !== blob.length) return "a 32-byte ed25519 key";
  const encoding = ed25519EncodingProblem(key[0]);
  if (encoding) return encoding;
  const x25519 = ed2curve.convertPublicKey(key[0]);
  if (!x25519) return "a valid ed25519 point";
  return x25519KeyProblem(x25519) ?? x25519;
}

/**
 * Parses one public key: `ssh-ed25519 BASE64 [comment]` (as in authorized_keys, without
 * options) or `batou-x25519 BASE64 [comment]`. `where` (e.g. `environments/prod/recipients:3`)
 * prefixes error messages.
 */
export function parsePublicKey(text: string, where: string): Recipient {
  const m = /^\s*(\S+)\s+(\S+)(?:\s+(.*?))?\s*$/.exec(text);
  const expected = `expected "ssh-ed25519 AAAA... comment" or "${NATIVE_PUBLIC_TYPE} BASE64 comment"`;
  if (!m) throw new SecretsError(`${where}: ${expected}, got ${JSON.stringify(text.trim())}`);
  const [, type, data, comment = ""] = m;
  const bytes = fromBase64(data);
  if (type === "ssh-ed25519") {
    const key = bytes ? sshEd25519BlobToX25519(bytes) : "base64 key data";
    if (typeof key === "string") throw new SecretsError(`${where}: invalid ssh-ed25519 key: expected ${key}`);
    return { type, publicKey: key, fingerprint: fingerprint(key), comment };
  }
  if (type === NATIVE_PUBLIC_TYPE) {
    if (!bytes || bytes.length !== 32) {
      throw new SecretsError(`${where}: invalid ${NATIVE_PUBLIC_TYPE} key: expected 32 bytes of base64`);
    }
    const problem = x25519KeyProblem(bytes);
    if (problem) throw new SecretsError(`${where}: invalid ${NATIVE_PUBLIC_TYPE} key: expected ${problem}`);
    return { type, publicKey: bytes, fingerprint: fingerprint(bytes), comment };
  }
  const hint = type.startsWith("ssh-") || type.startsWith("ecdsa-") ? " (only ed25519 SSH keys can be recipients)" : "";
  throw new SecretsError(`${where}: unsupported key type ${JSON.stringify(type)}${hint}; ${expected}`);
}

/** Formats batou's own public key line: `batou-x25519 BASE64 comment`. */
export function formatNativePublicKey(publicKey: Uint8Array, comment: string): string {
  return `${NATIVE_PUBLIC_TYPE} ${toBase64(publicKey)}${comment ? ` ${comment}` : ""}`;
}

/** `FINGERPRINT comment`, how messages and `summary` name a recipient (the comment escaped for terminals). */
export function describeRecipient(r: Pick<Recipient, "fingerprint" | "comment">): string {
  return `${r.fingerprint}${r.comment ? ` ${escapeForTerminal(r.comment)}` : ""}`;
}

/**
 * Parses the text of a recipients file; `file` names it in errors (with the line number).
 * Duplicate keys (same fingerprint) are kept once.
 */
export function parseRecipients(text: string, file: string): RecipientLine[] {
  const out: RecipientLine[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === "" || line.trimStart().startsWith("#")) return;
    const r = parsePublicKey(line, `${file}:${index + 1}`);
    if (seen.has(r.fingerprint)) return;
    seen.add(r.fingerprint);
    out.push({ ...r, lineNumber: index + 1, text: line.trim() });
  });
  return out;
}

/** Reads a recipients file; a missing file has no recipients. `display` names it in errors. */
export function readRecipients(path: string, display = path): RecipientLine[] {
  if (!existsSync(path)) return [];
  return parseRecipients(readFileSync(path, "utf8"), display);
}
