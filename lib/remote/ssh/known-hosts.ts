/**
 * known_hosts parsing and host key checking, OpenSSH compatible: host lists
 * with `*`/`?`/`!` patterns, the `[host]:port` form, hashed `|1|salt|hash`
 * entries (HMAC-SHA1) and the `@revoked` marker. `@cert-authority` lines are
 * read but never match: ssh2 does not verify host certificates, so a host
 * that is known only through one is refused with a hint to use OpenSSH.
 *
 * The policy (what StrictHostKeyChecking allows) lives in {@link decideHostKey};
 * an unknown, changed or revoked key is never accepted silently.
 *
 * @module
 */
import { createHash, createHmac } from "node:crypto";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { SSH2_HINT, type StrictHostKeyChecking } from "./config.ts";

/** One key line of a known_hosts file. */
export interface KnownHostEntry {
  file: string;
  /** 1-based line number. */
  line: number;
  marker: "" | "@revoked" | "@cert-authority";
  /** The host field as written (comma-separated patterns or one `|1|salt|hash`). */
  hosts: string;
  keyType: string;
  /** The key blob, base64 as in the file. */
  key: string;
}

/** Result of {@link checkHostKey}. */
export interface HostKeyCheck {
  status: "ok" | "unknown" | "changed" | "revoked";
  /** The name looked up: the HostKeyAlias, the host name, or `[host]:port`. */
  lookupName: string;
  keyType: string;
  /** `SHA256:...` as OpenSSH prints it. */
  fingerprint: string;
  /** The files that were consulted (existing or not). */
  files: string[];
  /** For `ok`: the matching line; for `changed`: the lines with a different key; for `revoked`: the revocation. */
  entries: KnownHostEntry[];
  /** `@cert-authority` lines for the host (ssh2 cannot check the certificates they trust). */
  authorities?: KnownHostEntry[];
  /** Key types known for this name (an `unknown` key may still have siblings of other types). */
  knownTypes: string[];
}

/** Parses known_hosts text; malformed lines are skipped like OpenSSH does. */
export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i].trim();
    if (t === "" || t.startsWith("#")) continue;
    const fields = t.split(/\s+/);
    let marker: KnownHostEntry["marker"] = "";
    if (fields[0].startsWith("@")) {
      const m = fields.shift() as string;
      if (m !== "@revoked" && m !== "@cert-authority") continue;
      marker = m;
    }
    if (fields.length < 3) continue;
    entries.push({ file, line: i + 1, marker, hosts: fields[0], keyType: fields[1], key: fields[2] });
  }
  return entries;
}

/** The name OpenSSH looks up: `host` on port 22 (or when `port` is null), else `[host]:port`. */
export function knownHostName(host: string, port: number | null): string {
  return port === null || port === 22 ? host : `[${host}]:${port}`;
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`, "i");
}

/** Whether the host field of an entry matches `name` (hashed, patterns, negation). */
export function hostFieldMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith("|1|")) {
    const [, , salt, hash] = hosts.split("|");
    if (!salt || !hash) return false;
    const mac = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64");
    return mac === hash;
  }
  let matched = false;
  for (const p of hosts.split(",")) {
    if (p.startsWith("!")) {
      if (globToRegExp(p.slice(1)).test(name)) return false;
    } else if (globToRegExp(p).test(name)) {
      matched = true;
    }
  }
  return matched;
}

/** The key type inside an SSH wire-format public key blob (e.g. `ssh-ed25519`). */
export function keyTypeOfBlob(blob: Uint8Array): string {
  const b = Buffer.from(blob);
  if (b.length < 4) return "unknown";
  const n = b.readUInt32BE(0);
  return b.subarray(4, 4 + n).toString("latin1");
}

/** `SHA256:<base64 without padding>`, the fingerprint format OpenSSH prints. */
export function fingerprintSha256(blob: Uint8Array): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

function readEntries(files: string[]): KnownHostEntry[] {
  const all: KnownHostEntry[] = [];
  for (const f of files) {
    if (!existsSync(f)) continue;
    let text: string;
    try {
      text = readFileSync(f, "utf8");
    } catch {
      continue; // unreadable (e.g. permissions): like OpenSSH, treat as no entries
    }
    all.push(...parseKnownHosts(text, f));
  }
  return all;
}

/** The key types known for `name`, for ordering the host key algorithms we offer. */
export function knownKeyTypes(name: string, port: number | null, files: string[]): string[] {
  const lookup = knownHostName(name, port);
  const types = readEntries(files)
    .filter((e) => e.marker === "" && hostFieldMatches(e.hosts, lookup))
    .map((e) => e.keyType);
  return [...new Set(types)];
}

/**
 * Checks `keyBlob` presented by a host against known_hosts `files`.
 * `hostKeyAliasOrName` is the HostKeyAlias (pass `port` null: OpenSSH ignores
 * the port then) or the host name as connected to.
 */
export function checkHostKey(
  hostKeyAliasOrName: string,
  port: number | null,
  keyBlob: Uint8Array,
  files: string[],
): HostKeyCheck {
  const lookupName = knownHostName(hostKeyAliasOrName, port);
  const keyType = keyTypeOfBlob(keyBlob);
  const keyB64 = Buffer.from(keyBlob).toString("base64");
  const entries = readEntries(files);
  const base = { lookupName, keyType, fingerprint: fingerprintSha256(keyBlob), files };

  const revoked = entries.filter((e) => e.marker === "@revoked" && e.key === keyB64 && hostFieldMatches(e.hosts, lookupName));
  if (revoked.length) return { ...base, status: "revoked", entries: revoked, knownTypes: [] };

  const forHost = entries.filter((e) => e.marker === "" && hostFieldMatches(e.hosts, lookupName));
  const knownTypes = [...new Set(forHost.map((e) => e.keyType))];
  const same = forHost.filter((e) => e.key === keyB64);
  if (same.length) return { ...base, status: "ok", entries: same.slice(0, 1), knownTypes };
  const different = forHost.filter((e) => e.keyType === keyType);
  if (different.length) return { ...base, status: "changed", entries: different, knownTypes };
  const authorities = entries.filter((e) => e.marker === "@cert-authority" && hostFieldMatches(e.hosts, lookupName));
  return { ...base, status: "unknown", entries: [], knownTypes, authorities };
}

/** What to do with a checked key under a StrictHostKeyChecking policy. */
export interface HostKeyDecision {
  accept: boolean;
  /** For accepted unknown keys: a warning line to show (never silent). */
  warning?: string;
  /** For refused keys: the full message (host, fingerprint, files). */
  message?: string;
  /** accept-new: the key should be appended to this file. */
  record?: string;
}

function where(check: HostKeyCheck): string {
  return check.files.length ? check.files.join(", ") : "(no known_hosts files configured)";
}

/**
 * Applies the policy: `ok` is accepted; `changed` and `revoked` are always
 * refused, and so is a key of a new type for a host whose known keys are all
 * of other types (as OpenSSH does: a host that suddenly shows only another
 * key type is a changed host). Any other `unknown` key is refused unless
 * StrictHostKeyChecking is `no` (accepted with a warning) or `accept-new`
 * (accepted, warned, recorded).
 */
export function decideHostKey(host: string, check: HostKeyCheck, strict: StrictHostKeyChecking): HostKeyDecision {
  const key = `${check.keyType} key ${check.fingerprint}`;
  switch (check.status) {
    case "ok":
      return { accept: true };
    case "revoked":
      return {
        accept: false,
        message: `host key REVOKED: the ${key} presented for '${check.lookupName}' is marked @revoked in ` +
          check.entries.map((e) => `${e.file}:${e.line}`).join(", ") + ". Refusing to connect.",
      };
    case "changed":
      return {
        accept: false,
        message: `HOST KEY HAS CHANGED for '${check.lookupName}': the host presented ${key}, but ` +
          check.entries.map((e) => `${e.file}:${e.line}`).join(", ") +
          ` records a different ${check.keyType} key. Someone could be eavesdropping on you right now` +
          ` (man-in-the-middle), or the host key was just changed. If the change is expected, remove the` +
          ` old entry (ssh-keygen -R '${check.lookupName}' -f FILE) and add the new key.`,
      };
    case "unknown": {
      if (check.authorities?.length) {
        return {
          accept: false,
          message: `host key is not known: the host presented ${key} for '${check.lookupName}', and ` +
            check.authorities.map((e) => `${e.file}:${e.line}`).join(", ") +
            ` trusts a certificate authority for it, whose host certificates the built-in SSH client (ssh2) cannot check: ${SSH2_HINT}`,
        };
      }
      const others = check.knownTypes.length ? ` (only ${check.knownTypes.join(", ")} keys are known for it)` : "";
      if (check.knownTypes.length) {
        return {
          accept: false,
          message: `HOST KEY HAS CHANGED for '${check.lookupName}': the host presented ${key}, but ${where(check)}` +
            ` only knows ${check.knownTypes.join(", ")} keys for it, which the host no longer offers. Refusing to connect` +
            ` whatever StrictHostKeyChecking says (${strict}), as OpenSSH does. If the host's keys were changed on purpose,` +
            ` remove the old entries (ssh-keygen -R '${check.lookupName}' -f FILE) and add the new key.`,
        };
      }
      if (strict === "no" || strict === "accept-new") {
        const record = strict === "accept-new" ? check.files.find((f) => f !== "/dev/null") : undefined;
        return {
          accept: true,
          warning: `WARNING: accepting unknown ${key} for '${check.lookupName}'${others} because` +
            ` StrictHostKeyChecking=${strict}` + (record ? `; adding it to ${record}` : "; not in " + where(check)),
          record,
        };
      }
      return {
        accept: false,
        message: `host key is not known: the host presented ${key} for '${check.lookupName}'${others},` +
          ` which is not in ${where(check)} (StrictHostKeyChecking ${strict}). Verify the fingerprint` +
          ` out of band and add the key to known_hosts (e.g. ssh-keyscan), then retry.`,
      };
    }
  }
}

/** Appends `name keytype base64` to a known_hosts file (used for accept-new). */
export function appendKnownHost(file: string, name: string, keyBlob: Uint8Array): void {
  const line = `${name} ${keyTypeOfBlob(keyBlob)} ${Buffer.from(keyBlob).toString("base64")}\n`;
  let prefix = "";
  if (existsSync(file)) {
    const text = readFileSync(file, "utf8");
    if (text.length && !text.endsWith("\n")) prefix = "\n";
  }
  appendFileSync(file, prefix + line, { mode: 0o600 });
}
