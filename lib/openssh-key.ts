/**
 * The parts of OpenSSH's key formats that batou reads itself (ssh2 parses the rest):
 * SSH wire strings and the unencrypted header of an `openssh-key-v1` private key file,
 * which holds the cipher name and the public key even when the private part is
 * passphrase-protected. Shared by the SSH transport (which key to offer) and the
 * secrets engine (which recipient an identity is). See OpenSSH's PROTOCOL.key.
 */

const BEGIN = "-----BEGIN OPENSSH PRIVATE KEY-----";
const END = "-----END OPENSSH PRIVATE KEY-----";
const MAGIC = "openssh-key-v1\0";

/** Reads an SSH wire-format string (uint32 length, then the bytes) at `offset`; null when truncated. */
export function readSshString(buf: Uint8Array, offset: number): [bytes: Uint8Array, next: number] | null {
  if (offset + 4 > buf.length) return null;
  const length = new DataView(buf.buffer, buf.byteOffset + offset, 4).getUint32(0);
  const start = offset + 4;
  if (start + length > buf.length) return null;
  return [buf.subarray(start, start + length), start + length];
}

/** The unencrypted header of an OpenSSH private key file. */
export interface OpenSshKeyHeader {
  /** `none` for a key without passphrase, else e.g. `aes256-ctr`. */
  cipher: string;
  /** The first key's public key blob (SSH wire format: type, then key data). */
  publicBlob: Uint8Array;
}

/** True when `text` holds an OpenSSH private key (`-----BEGIN OPENSSH PRIVATE KEY-----`). */
export function isOpenSshPrivateKey(text: string): boolean {
  return text.includes(BEGIN);
}

/** Reads the header of the OpenSSH private key in `text` without its passphrase; null when it is not one. */
export function openSshKeyHeader(text: string): OpenSshKeyHeader | null {
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END, start);
  if (start < 0 || end < 0) return null;
  const raw = new Uint8Array(Buffer.from(text.slice(start + BEGIN.length, end).replace(/\s+/g, ""), "base64"));
  if (new TextDecoder().decode(raw.subarray(0, MAGIC.length)) !== MAGIC) return null;
  const cipher = readSshString(raw, MAGIC.length);
  const kdf = cipher && readSshString(raw, cipher[1]);
  const kdfOptions = kdf && readSshString(raw, kdf[1]);
  // Then a uint32 number of keys, then the first public key.
  const publicBlob = kdfOptions && readSshString(raw, kdfOptions[1] + 4);
  if (!publicBlob) return null;
  return { cipher: new TextDecoder().decode(cipher[0]), publicBlob: publicBlob[0] };
}
