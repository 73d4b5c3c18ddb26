/**
 * Opens batou's age files in memory with the `age-encryption` package. Identities:
 * age's own `AGE-SECRET-KEY-1…` files (the package's X25519), and OpenSSH keys
 * (what batou users mostly have) as age's `ssh-ed25519` and `ssh-rsa` recipient
 * types, which the package leaves to custom identities: they are written here after
 * age's specification (age-encryption.org/v1, the ssh-ed25519 and ssh-rsa stanzas),
 * from node:crypto's HKDF and RSA-OAEP, @noble/ciphers' ChaCha20-Poly1305 (the
 * package's own), tweetnacl's X25519 and ed2curve. A key is decrypted (passphrase asked) only when a file is sealed to it.
 *
 * Which identity files: `BATOU_AGE_IDENTITIES` (comma-separated, as batou), else
 * batou's list `~/.ssh/id_rsa, id_ecdsa, id_ecdsa_sk, id_ed25519, id_ed25519_sk, id_dsa`;
 * and this tool's `BATOU_IDENTITY`. Passphrases: `BATOU_AGE_IDENTITY_PASSPHRASE` (an
 * `op://` reference is read with 1Password's `op`, as batou does), else
 * `BATOU_IDENTITY_PASSPHRASE`, else a prompt on the terminal.
 */
import { constants, createHash, createPrivateKey, hkdfSync, privateDecrypt } from "node:crypto";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { armor, Decrypter, type Identity as AgeIdentity, type Stanza } from "age-encryption";
import * as ed2curve from "ed2curve";
import { utils as sshUtils } from "ssh2";
import nacl from "tweetnacl";
import { isOpenSshPrivateKey } from "../openssh-key.ts";
import { askPassphrase, canPrompt } from "../terminal.ts";

type Env = Record<string, string | undefined>;

const ED25519_LABEL = "age-encryption.org/v1/ssh-ed25519";
const RSA_LABEL = "age-encryption.org/v1/ssh-rsa";
const BATOU_DEFAULTS = ["id_rsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk", "id_dsa"];

/** Unpadded standard base64, as age writes stanza arguments. */
function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64").replace(/=+$/, "");
}

function unb64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "base64"));
}

/** age's tag of an SSH key: the first 4 bytes of SHA-256 of its wire-format public key. */
function sshTag(publicBlob: Uint8Array): string {
  return b64(createHash("sha256").update(publicBlob).digest().subarray(0, 4));
}

function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", ikm, salt, info, 32));
}

/** ChaCha20-Poly1305 with age's all-zero nonce; null when the tag does not verify. */
function aeadOpen(key: Uint8Array, body: Uint8Array): Uint8Array | null {
  try {
    return chacha20poly1305(key, new Uint8Array(12)).decrypt(body);
  } catch {
    return null;
  }
}

/** An OpenSSH private key file, decrypted on first use. */
interface SshKeyFile {
  path: string;
  text: string;
  type: string;
  publicBlob: Uint8Array;
}

/** The user's identity files for age, as batou finds them (plus BATOU_IDENTITY). */
export function ageIdentityPaths(env: Env = process.env): string[] {
  const home = env.HOME || homedir();
  const expand = (p: string) => (p === "~" || p.startsWith("~/") ? join(home, p.slice(1)) : resolve(p));
  const configured = env.BATOU_AGE_IDENTITIES?.split(",").map((p) => p.trim()).filter(Boolean);
  const batouList = configured?.length ? configured.map(expand) : BATOU_DEFAULTS.map((n) => join(home, ".ssh", n));
  const ours = env.BATOU_IDENTITY?.split(",").map((p) => p.trim()).filter(Boolean).map(expand) ?? [];
  return [...new Set([...batouList, ...ours])].filter((p) => existsSync(p));
}

/** Passphrases asked once per key file and kept for the run. */
const passphrases = new Map<string, string>();

function passphrase(path: string, env: Env): string | undefined {
  if (passphrases.has(path)) return passphrases.get(path);
  const op = env.BATOU_AGE_IDENTITY_PASSPHRASE;
  if (op?.startsWith("op://")) {
    const run = spawnSync("op", ["read", op], { encoding: "utf8", timeout: 60_000 });
    if (run.status === 0) return run.stdout.trim();
  } else if (op) return op;
  return env.BATOU_IDENTITY_PASSPHRASE;
}

/** The private key as PEM, asking for a passphrase on the terminal when needed; null when it cannot be opened. */
async function openPrivatePem(key: SshKeyFile, env: Env, problems: string[]): Promise<string | null> {
  const tryWith = (secret?: string) => {
    const parsed = sshUtils.parseKey(key.text, secret);
    if (parsed instanceof Error) return null;
    return (Array.isArray(parsed) ? parsed[0]! : parsed).getPrivatePEM();
  };
  const plain = tryWith(passphrases.get(key.path) ?? passphrase(key.path, env));
  if (plain) return plain;
  if (!canPrompt()) {
    problems.push(`${key.path} is passphrase-protected: set BATOU_AGE_IDENTITY_PASSPHRASE or run on a terminal`);
    return null;
  }
  const asked = await askPassphrase(key.path, (entered) => tryWith(entered) ?? undefined);
  if (typeof asked === "object") {
    passphrases.set(key.path, asked.passphrase);
    return asked.value;
  }
  problems.push(`${key.path}: no passphrase opened it`);
  return null;
}

/** age's ssh-ed25519 recipient type, from the OpenSSH key file. */
function ed25519Identity(key: SshKeyFile, env: Env, problems: string[]): AgeIdentity {
  const tag = sshTag(key.publicBlob);
  const edPublic = key.publicBlob.subarray(key.publicBlob.length - 32);
  const ourPublic = ed2curve.convertPublicKey(edPublic)!;
  return {
    async unwrapFileKey(stanzas: Stanza[]) {
      const mine = stanzas.filter((s) => s.args[0] === "ssh-ed25519" && s.args[1] === tag && s.args.length === 3);
      if (mine.length === 0) return null;
      const pem = await openPrivatePem(key, env, problems);
      if (!pem) return null;
      const der = Buffer.from(pem.replace(/-----[^-]+-----|\s+/g, ""), "base64");
      const seed = new Uint8Array(der.subarray(der.length - 32));
      const secret = ed2curve.convertSecretKey(seed);
      for (const stanza of mine) {
        const share = unb64(stanza.args[2]);
        if (share.length !== 32) continue;
        let shared = nacl.scalarMult(secret, share);
        const tweak = hkdf(new Uint8Array(), key.publicBlob, ED25519_LABEL);
        shared = nacl.scalarMult(tweak, shared);
        if (shared.every((b) => b === 0)) continue;
        const salt = new Uint8Array([...share, ...ourPublic]);
        const fileKey = aeadOpen(hkdf(shared, salt, ED25519_LABEL), stanza.body);
        if (fileKey) return fileKey;
      }
      return null;
    },
  };
}

/** age's ssh-rsa recipient type (RSA-OAEP with SHA-256 and age's label). */
function rsaIdentity(key: SshKeyFile, env: Env, problems: string[]): AgeIdentity {
  const tag = sshTag(key.publicBlob);
  return {
    async unwrapFileKey(stanzas: Stanza[]) {
      const mine = stanzas.filter((s) => s.args[0] === "ssh-rsa" && s.args[1] === tag && s.args.length === 2);
      if (mine.length === 0) return null;
      const pem = await openPrivatePem(key, env, problems);
      if (!pem) return null;
      const privateKey = createPrivateKey(pem);
      for (const stanza of mine) {
        try {
          return new Uint8Array(
            privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256", oaepLabel: Buffer.from(RSA_LABEL) }, stanza.body),
          );
        } catch {
          // another key with the same tag
        }
      }
      return null;
    },
  };
}

/** The user's age identities, and what could not be used (for the report). */
export interface AgeIdentities {
  decrypter: Decrypter;
  /** `path (type)` of each identity, for messages. */
  described: string[];
  /** Keys that could not be used (unsupported type, missing passphrase); filled while decrypting. */
  problems: string[];
}

/** Loads every identity file (public parts only; private keys open when a file needs them). */
export function loadAgeIdentities(paths: string[], env: Env = process.env): AgeIdentities {
  const decrypter = new Decrypter();
  const described: string[] = [];
  const problems: string[] = [];
  for (const path of paths) {
    const text = readFileSync(path, "utf8");
    const native = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.startsWith("AGE-SECRET-KEY-1"));
    if (native.length) {
      for (const line of native) decrypter.addIdentity(line);
      described.push(`${path} (age X25519)`);
      continue;
    }
    if (!isOpenSshPrivateKey(text) && !/-----BEGIN (RSA )?PRIVATE KEY-----/.test(text)) {
      problems.push(`${path}: not an age or OpenSSH private key`);
      continue;
    }
    const publicPath = `${path}.pub`;
    const parsedPublic = existsSync(publicPath) ? sshUtils.parseKey(readFileSync(publicPath, "utf8")) : sshUtils.parseKey(text);
    const pub = parsedPublic instanceof Error ? null : Array.isArray(parsedPublic) ? parsedPublic[0] : parsedPublic;
    if (!pub) {
      problems.push(`${path}: passphrase-protected without ${publicPath}: its public key is needed to see which files are sealed to it`);
      continue;
    }
    const key: SshKeyFile = { path, text, type: pub.type, publicBlob: new Uint8Array(pub.getPublicSSH()) };
    if (pub.type === "ssh-ed25519") decrypter.addIdentity(ed25519Identity(key, env, problems));
    else if (pub.type === "ssh-rsa") decrypter.addIdentity(rsaIdentity(key, env, problems));
    else {
      problems.push(`${path}: ${pub.type} keys are not age recipients`);
      continue;
    }
    described.push(`${path} (${pub.type})`);
  }
  return { decrypter, described, problems };
}

/** Decrypts one age file (binary or armored) in memory. */
export async function decryptAge(data: Uint8Array, identities: AgeIdentities): Promise<Uint8Array> {
  const text = new TextDecoder().decode(data.subarray(0, 40));
  const binary = text.startsWith("-----BEGIN AGE ENCRYPTED FILE-----") ? armor.decode(new TextDecoder().decode(data)) : data;
  return identities.decrypter.decrypt(binary);
}
