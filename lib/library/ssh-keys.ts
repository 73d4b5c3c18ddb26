/**
 * OpenSSH public key lines, as `authorized_keys` and `known_hosts` hold them:
 * parsed and checked without running anything (the key blob must decode and
 * name its own type), for `AuthorizedKeys`, `KnownHost` and `KeyPair`.
 */
import { createHmac } from "node:crypto";

/** The key types OpenSSH accepts in these files. */
export const KEY_TYPES = new Set([
  "ssh-ed25519",
  "ssh-rsa",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "sk-ssh-ed25519@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
  "ssh-dss",
]);

/** A public key: its type and base64 blob (what identifies it), and the rest of its line. */
export interface PublicKey {
  /** `authorized_keys` options before the type (`from="10.0.0.0/8",no-pty`), or "". */
  options: string;
  type: string;
  blob: string;
  comment: string;
}

/** The type named inside a key blob, or undefined when the blob is not one. */
function blobType(blob: string): string | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) return undefined;
  const bytes = Buffer.from(blob, "base64");
  if (bytes.length < 4) return undefined;
  const length = bytes.readUInt32BE(0);
  if (length > 64 || bytes.length < 4 + length) return undefined;
  return bytes.subarray(4, 4 + length).toString("latin1");
}

/**
 * Parses one key line (`[options] type blob [comment]`); undefined when it is
 * none (a comment, an empty line, a malformed key).
 */
export function parsePublicKey(line: string): PublicKey | undefined {
  const text = line.trim();
  if (!text || text.startsWith("#") || /[\r\n]/.test(text)) return undefined;
  // options may contain quoted spaces: find the first word that is a key type followed by a matching blob
  const words = [...text.matchAll(/\S+/g)];
  for (let i = 0; i + 1 < words.length; i++) {
    const type = words[i]![0];
    const blob = words[i + 1]![0];
    if (!KEY_TYPES.has(type) || blobType(blob) !== type) continue;
    const options = text.slice(0, words[i]!.index).trim();
    const comment = words[i + 2] ? text.slice(words[i + 2]!.index).trim() : "";
    return { options, type, blob, comment };
  }
  return undefined;
}

/** The line of `key` as it is written back. */
export function formatPublicKey(key: PublicKey): string {
  return [key.options, key.type, key.blob, key.comment].filter(Boolean).join(" ");
}

/** Whether two keys are the same key (options and comment aside). */
export function sameKey(a: PublicKey, b: PublicKey): boolean {
  return a.type === b.type && a.blob === b.blob;
}

/** `host`, or `[host]:port` for another port than 22: how known_hosts names a host. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Whether a known_hosts host field (`a,b,[c]:2222` or hashed `|1|salt|hash`) names `name`. */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith("|1|")) {
    const [, , salt, hash] = field.split("|");
    if (!salt || !hash) return false;
    return createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64") === hash;
  }
  return field.split(",").some((pattern) => pattern === name);
}

/** A known_hosts line: its host field and key; undefined for comments and markers (`@cert-authority`, `@revoked`). */
export function parseKnownHost(line: string): { hosts: string; key: PublicKey } | undefined {
  const text = line.trim();
  if (!text || text.startsWith("#") || text.startsWith("@")) return undefined;
  const space = text.search(/\s/);
  if (space < 0) return undefined;
  const key = parsePublicKey(text.slice(space + 1));
  return key && !key.options ? { hosts: text.slice(0, space), key } : undefined;
}
