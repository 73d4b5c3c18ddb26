/**
 * Public keys and `environments/ENV/recipients` files.
 *
 * A recipients file holds one public key a line, `#` comments and blank lines:
 *
 * ```
 * # the ops team
 * ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI... alice@laptop
 * batou-x25519 q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq8...(88 characters) bob@desktop
 * ```
 */
import { existsSync, readFileSync } from "node:fs";
import { checkEd25519Key, x25519KeyProblem } from "./curve-points.ts";
import { concat, fingerprint, fromBase64, toBase64 } from "./encoding.ts";
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
 * The keys in the SSH wire blob of an `ssh-ed25519` public key: the Ed25519 key (which
 * checks signatures) and its X25519 form (which files are encrypted to). Returns an error
 * text (what was expected) instead of throwing.
 */
export function sshEd25519Keys(blob: Uint8Array): { x25519: Uint8Array; ed25519: Uint8Array } | string {
  const type = readSshString(blob, 0);
  if (!type) return "an SSH public key blob";
  const typeName = new TextDecoder().decode(type[0]);
  if (typeName !== "ssh-ed25519") return `an ssh-ed25519 key blob, found ${typeName}`;
  const key = readSshString(blob, type[1]);
  if (!key || key[0].length !== 32 || key[1] !== blob.length) return "a 32-byte ed25519 key";
  const checked = checkEd25519Key(key[0]);
  return "problem" in checked ? checked.problem : { x25519: checked.x25519, ed25519: key[0] };
}

/**
 * Parses one public key: `ssh-ed25519 BASE64 [comment]` (as in authorized_keys, without
 * options) or `batou-x25519 BASE64 [comment]` (64 bytes: the X25519 key, then the
 * Ed25519 signing key; 32 bytes from an older batou: the X25519 key alone). Low-order and
 * non-canonical keys are refused. `where` (e.g. `environments/prod/recipients:3`)
 * prefixes error messages.
 */
export function parsePublicKey(text: string, where: string): Recipient {
  const m = /^\s*(\S+)\s+(\S+)(?:\s+(.*?))?\s*$/.exec(text);
  const expected = `expected "ssh-ed25519 AAAA... comment" or "${NATIVE_PUBLIC_TYPE} BASE64 comment"`;
  if (!m) throw new SecretsError(`${where}: ${expected}, got ${JSON.stringify(text.trim())}`);
  const [, type, data, comment = ""] = m;
  const bytes = fromBase64(data);
  if (type === "ssh-ed25519") {
    const keys = bytes ? sshEd25519Keys(bytes) : "base64 key data";
    if (typeof keys === "string") throw new SecretsError(`${where}: invalid ssh-ed25519 key: expected ${keys}`);
    return { type, publicKey: keys.x25519, fingerprint: fingerprint(keys.x25519), comment, signingKey: keys.ed25519 };
  }
  if (type === NATIVE_PUBLIC_TYPE) {
    const invalid = (what: string) => new SecretsError(`${where}: invalid ${NATIVE_PUBLIC_TYPE} key: expected ${what}`);
    if (!bytes || (bytes.length !== 32 && bytes.length !== 64)) {
      throw invalid("64 bytes of base64 (32 from an older batou)");
    }
    const publicKey = bytes.slice(0, 32);
    const problem = x25519KeyProblem(publicKey);
    if (problem) throw invalid(problem);
    if (bytes.length === 32) return { type, publicKey, fingerprint: fingerprint(publicKey), comment };
    const signingKey = bytes.slice(32);
    const signing = checkEd25519Key(signingKey);
    if ("problem" in signing) throw invalid(`a signing key that is ${signing.problem}`);
    return { type, publicKey, fingerprint: fingerprint(publicKey), comment, signingKey };
  }
  const hint = type.startsWith("ssh-") || type.startsWith("ecdsa-") ? " (only ed25519 SSH keys can be recipients)" : "";
  throw new SecretsError(`${where}: unsupported key type ${JSON.stringify(type)}${hint}; ${expected}`);
}

/** Formats batou's own public key line: `batou-x25519 BASE64(X25519 ‖ Ed25519) comment`. */
export function formatNativePublicKey(publicKey: Uint8Array, signingKey: Uint8Array, comment: string): string {
  return `${NATIVE_PUBLIC_TYPE} ${toBase64(concat(publicKey, signingKey))}${comment ? ` ${comment}` : ""}`;
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
