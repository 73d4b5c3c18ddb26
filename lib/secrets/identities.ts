/**
 * The user's private keys ("identities"): OpenSSH ed25519 keys (plain or
 * passphrase-protected) and batou's own X25519 keys written by `batou secrets keygen`.
 * Each opens the files sealed to it and signs what it seals: an SSH key with its own
 * Ed25519 key, a batou key with an Ed25519 key derived from its secret.
 *
 * Which files: `BATOU_IDENTITY` (comma-separated paths), else `~/.ssh/id_ed25519` and
 * the default keygen path ({@link defaultNativeKeyPath}), whichever exist.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import * as ed2curve from "ed2curve";
import nacl from "tweetnacl";
import { utils as sshUtils } from "ssh2";
import { concat, fingerprint, fromBase64, sha512, toBase64, utf8 } from "./encoding.ts";
import { SecretsError } from "./secrets-error.ts";
import { formatNativePublicKey, sshEd25519Keys } from "./recipients.ts";
import { isOpenSshPrivateKey, openSshKeyHeader } from "../openssh-key.ts";
import { askPassphrase, canPrompt } from "../terminal.ts";
import type { Identity, Signer } from "./types.ts";

/** Key type word of the private line in batou's own key files. */
export const NATIVE_PRIVATE_TYPE = "batou-x25519-private";
/** PKCS#8 prefix of an Ed25519 private key; the 32-byte seed follows. */
const PKCS8_ED25519_PREFIX = "302e020100300506032b657004220420";

type Env = Record<string, string | undefined>;

function home(env: Env): string {
  return env.HOME || homedir();
}

function expandHome(path: string, env: Env): string {
  return path === "~" || path.startsWith("~/") ? join(home(env), path.slice(1)) : resolve(path);
}

/** Where `batou secrets keygen` writes by default: `$XDG_CONFIG_HOME/batou/identity` (else `~/.config/...`). */
export function defaultNativeKeyPath(env: Env = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(home(env), ".config"), "batou", "identity");
}

/** The identity files to use, per `BATOU_IDENTITY` or the defaults (only existing ones). */
export function identityPaths(env: Env = process.env): string[] {
  const configured = env.BATOU_IDENTITY?.split(",").map((p) => p.trim()).filter(Boolean);
  if (configured?.length) return configured.map((p) => expandHome(p, env));
  return [join(home(env), ".ssh", "id_ed25519"), defaultNativeKeyPath(env)].filter((p) => existsSync(p));
}

/**
 * Loads every identity (public parts only; secrets are decrypted on first use).
 * Throws when a `BATOU_IDENTITY` file is missing or unusable, or when there is none at all.
 */
export function loadIdentities(env: Env = process.env): Identity[] {
  const paths = identityPaths(env);
  if (paths.length === 0) {
    throw new SecretsError(
      `no identity found: set BATOU_IDENTITY to your private key file(s), or create ` +
        `${join(home(env), ".ssh", "id_ed25519")} (ssh-keygen -t ed25519) or ${defaultNativeKeyPath(env)} ` +
        `(batou secrets keygen)`,
    );
  }
  return paths.map((p) => loadIdentity(p, env));
}

/** Loads one private key file (OpenSSH ed25519 or batou native). */
export function loadIdentity(path: string, env: Env = process.env): Identity {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new SecretsError(`identity ${path}: cannot read it (${(error as Error).message})`);
  }
  if (isOpenSshPrivateKey(text)) return openSshIdentity(path, text, env);
  const native = text.split(/\r?\n/).findIndex((l) => l.startsWith(`${NATIVE_PRIVATE_TYPE} `));
  if (native >= 0) return nativeIdentity(path, text.split(/\r?\n/)[native], native + 1);
  throw new SecretsError(
    `identity ${path}: expected an OpenSSH ed25519 private key ("-----BEGIN OPENSSH PRIVATE KEY-----") ` +
      `or a batou key ("${NATIVE_PRIVATE_TYPE} ..." line)`,
  );
}

/** Domain of the Ed25519 seed a batou key's signing key is derived from. */
const NATIVE_SIGNING_DOMAIN = utf8("batou-secrets signing key\0");

/**
 * The signing key pair of a batou (X25519) key: derived from its secret, so every
 * batou key has one without a change to its file.
 */
function nativeSigningPair(secretKey: Uint8Array): nacl.SignKeyPair {
  return nacl.sign.keyPair.fromSeed(sha512(concat(NATIVE_SIGNING_DOMAIN, secretKey)).subarray(0, 32));
}

/** Builds an identity from a raw X25519 secret key (a batou key; also for tests and tooling). */
export function identityFromSecretKey(secretKey: Uint8Array, source: string, comment = ""): Identity {
  const publicKey = nacl.box.keyPair.fromSecretKey(secretKey).publicKey;
  const signing = nativeSigningPair(secretKey);
  const id = fingerprint(publicKey);
  const signer: Signer = { fingerprint: id, comment, publicKey: signing.publicKey, secretKey: signing.secretKey };
  return {
    source,
    comment,
    publicKey,
    fingerprint: id,
    signingKey: signing.publicKey,
    publicLine: formatNativePublicKey(publicKey, signing.publicKey, comment),
    secretKey: async () => secretKey,
    signer: async () => signer,
  };
}

function nativeIdentity(path: string, line: string, lineNumber: number): Identity {
  const [, data = "", ...comment] = line.trim().split(/\s+/);
  const secretKey = fromBase64(data);
  if (!secretKey || secretKey.length !== 32) {
    throw new SecretsError(`${path}:${lineNumber}: expected "${NATIVE_PRIVATE_TYPE} <32 bytes of base64> [comment]"`);
  }
  return identityFromSecretKey(secretKey, path, comment.join(" "));
}

/** The secret halves of an OpenSSH ed25519 key. */
interface OpenSshSecrets {
  x25519: Uint8Array;
  signing: nacl.SignKeyPair;
}

function openSshIdentity(path: string, text: string, env: Env): Identity {
  const header = openSshKeyHeader(text);
  if (!header) throw new SecretsError(`identity ${path}: corrupt OpenSSH private key (expected openssh-key-v1 data)`);
  const keys = sshEd25519Keys(header.publicBlob);
  if (typeof keys === "string") {
    throw new SecretsError(`identity ${path}: only ed25519 keys can be batou identities (expected ${keys})`);
  }
  let comment = "";
  let cached: OpenSshSecrets | undefined;
  const decode = (passphrase?: string): OpenSshSecrets | Error => {
    const parsed = sshUtils.parseKey(text, passphrase);
    if (parsed instanceof Error) return parsed;
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    const der = Buffer.from(key.getPrivatePEM().replace(/-----[^-]+-----|\s+/g, ""), "base64").toString("hex");
    if (!der.startsWith(PKCS8_ED25519_PREFIX) || der.length !== PKCS8_ED25519_PREFIX.length + 64) {
      return new Error("unexpected private key encoding");
    }
    comment = key.comment;
    const seed = new Uint8Array(Buffer.from(der.slice(-64), "hex"));
    const signing = nacl.sign.keyPair.fromSeed(seed);
    if (toBase64(signing.publicKey) !== toBase64(keys.ed25519)) {
      return new Error("the private key does not match its public key");
    }
    return { x25519: ed2curve.convertSecretKey(seed), signing };
  };
  if (header.cipher === "none") {
    const key = decode();
    if (key instanceof Error) throw new SecretsError(`identity ${path}: ${key.message}`);
    cached = key;
  } else if (existsSync(`${path}.pub`)) {
    comment = readFileSync(`${path}.pub`, "utf8").trim().split(/\s+/).slice(2).join(" ");
  }
  const secrets = async (interactive: boolean): Promise<OpenSshSecrets> => {
    if (cached) return cached;
    const fromEnv = env.BATOU_IDENTITY_PASSPHRASE;
    if (fromEnv !== undefined) {
      const key = decode(fromEnv);
      if (key instanceof Error) {
        throw new SecretsError(`identity ${path}: wrong passphrase in BATOU_IDENTITY_PASSPHRASE (${key.message})`);
      }
      return (cached = key);
    }
    if (!interactive || !canPrompt()) {
      throw new SecretsError(`identity ${path} is passphrase-protected: set BATOU_IDENTITY_PASSPHRASE or run on a terminal`);
    }
    const asked = await askPassphrase(path, (passphrase) => {
      const key = decode(passphrase);
      return key instanceof Error ? undefined : key;
    });
    if (asked === "aborted") throw new SecretsError(`identity ${path}: aborted at the passphrase prompt`);
    if (asked === "wrong") throw new SecretsError(`identity ${path}: wrong passphrase (3 attempts)`);
    return (cached = asked.value);
  };
  const id = fingerprint(keys.x25519);
  return {
    source: path,
    get comment() {
      return comment;
    },
    publicKey: keys.x25519,
    fingerprint: id,
    signingKey: keys.ed25519,
    get publicLine() {
      return `ssh-ed25519 ${toBase64(header.publicBlob)}${comment ? ` ${comment}` : ""}`;
    },
    secretKey: async (interactive = true) => (await secrets(interactive)).x25519,
    async signer(interactive = true) {
      const { signing } = await secrets(interactive);
      return { fingerprint: id, comment, publicKey: signing.publicKey, secretKey: signing.secretKey };
    },
  };
}

/** A new batou key pair as file text and public line. */
export function generateNativeKey(comment: string): { privateText: string; publicLine: string; fingerprint: string } {
  const secretKey = nacl.box.keyPair().secretKey;
  const { publicLine, fingerprint: id } = identityFromSecretKey(secretKey, "", comment);
  const privateText =
    `# batou secrets identity: keep this file private. Its public key (fingerprint ${id}):\n# ${publicLine}\n` +
    `${NATIVE_PRIVATE_TYPE} ${toBase64(secretKey)}${comment ? ` ${comment}` : ""}\n`;
  return { privateText, publicLine, fingerprint: id };
}

/**
 * `batou secrets keygen`: writes a new private key to `path` (mode 0600, refusing to
 * overwrite) and its public line to `path.pub`; returns the public line.
 */
export function writeNativeKey(path: string, comment: string): { publicLine: string; fingerprint: string } {
  const key = generateNativeKey(comment);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SecretsError(code === "EEXIST" ? `${path} exists already; not overwriting it` : `${path}: ${(error as Error).message}`);
  }
  try {
    writeSync(fd, key.privateText);
  } finally {
    closeSync(fd);
  }
  chmodSync(path, 0o600);
  const pub = openSync(`${path}.pub`, "w", 0o644);
  try {
    writeSync(pub, `${key.publicLine}\n`);
  } finally {
    closeSync(pub);
  }
  return { publicLine: key.publicLine, fingerprint: key.fingerprint };
}
