import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { isIP } from "node:net";
import { dirname } from "node:path";
import { Component, ConfigurationError, DeploymentError, UpdateNeeded, writeFileAtomic } from "../batou-core.ts";
import { hostFieldMatches, knownHostName, parseKnownHost, parsePublicKey, type PublicKey, sameKey } from "./ssh-keys.ts";

/**
 * The file's lines with `key` for `name`: entries of `name` with the same
 * key type are dropped, the key is appended. Unchanged when already there.
 */
export function knownHostsWithKey(current: string, name: string, key: PublicKey): string {
  const lines = current.split("\n").filter((line) => line !== "");
  const entries = lines.map(parseKnownHost);
  const has = entries.some((entry) => entry && hostFieldMatches(entry.hosts, name) && sameKey(entry.key, key));
  const conflicting = entries.some((entry) => entry && hostFieldMatches(entry.hosts, name) && entry.key.type === key.type && !sameKey(entry.key, key));
  if (has && !conflicting) return current;
  const kept = lines.filter((_, i) => {
    const entry = entries[i];
    return !(entry && hostFieldMatches(entry.hosts, name) && entry.key.type === key.type);
  });
  return [...kept, `${name} ${key.type} ${key.blob}`].join("\n") + "\n";
}

/**
 * `KnownHost`: an entry for a host in the service user's
 * `~/.ssh/known_hosts`, so ssh connects to it without asking. With `key` (the
 * host's public key, e.g. a line of its `/etc/ssh/ssh_host_ed25519_key.pub`)
 * the entry holds exactly that key, and an older entry of the same key type
 * for the host is replaced. Without `key` the host is scanned with
 * `ssh-keyscan` when it has no entry yet (trust on first use, as batou_ext's
 * `ScanHost`), and the entry is kept afterwards. Hashed entries count. Other
 * lines are left alone.
 *
 * @example
 * ```ts
 * this.add(new KnownHost("git.example.com", { key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOM..." }));
 * this.add(new KnownHost("backup.example.com", { port: 2222 })); // scanned once
 * ```
 */
export class KnownHost extends Component {
  static override namevar = "hostname";
  /** The host whose key is trusted. */
  hostname = "";
  /** The host's public key (`type base64 [comment]`); without it, the host is scanned once. */
  key: string | undefined = undefined;
  /** The SSH port (default 22). */
  port = 22;
  /** The file (default `~/.ssh/known_hosts`). */
  path = "~/.ssh/known_hosts";
  /** Seconds ssh-keyscan waits for the host (default 10). */
  timeout = 10;

  private _key?: PublicKey;
  private _content?: string;

  constructor(hostname: string, options: KnownHostOptions = {}) {
    super(hostname, options);
  }

  get target(): string {
    return this.map(this.path);
  }

  /** How the file names the host. */
  get name(): string {
    return knownHostName(this.hostname, this.port);
  }

  override configure(): void {
    if (!(isIP(this.hostname) || /^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/.test(this.hostname))) {
      throw new ConfigurationError(`invalid host name "${this.hostname}"`, { component: this.breadcrumbs, expected: "a DNS name or an IP address" });
    }
    if (!Number.isInteger(this.port) || this.port < 1 || this.port > 65535) {
      throw new ConfigurationError("port is not a TCP port", { component: this.breadcrumbs, attribute: "port", given: String(this.port) });
    }
    if (this.key !== undefined) {
      this._key = parsePublicKey(this.key);
      if (!this._key || this._key.options) {
        throw new ConfigurationError("key is not an OpenSSH public key", {
          component: this.breadcrumbs,
          attribute: "key",
          expected: '"ssh-ed25519 AAAA..." (a line of the host\'s ssh_host_*_key.pub)',
        });
      }
    }
  }

  override async verify(): Promise<void> {
    const current = existsSync(this.target) ? readFileSync(this.target, "utf8") : "";
    if (this._key) {
      this._content = knownHostsWithKey(current, this.name, this._key);
      if (this._content === current) return;
      this.showDiff(this.target, current, this._content);
      throw new UpdateNeeded(`${this.target} lacks the key of ${this.name}`);
    }
    this._content = undefined;
    const entries = current.split("\n").map(parseKnownHost);
    if (entries.some((entry) => entry !== undefined && hostFieldMatches(entry.hosts, this.name))) return;
    this.log(`scan ${this.name} with ssh-keyscan and add its keys to ${this.target}`);
    throw new UpdateNeeded(`${this.target} has no entry for ${this.name}`);
  }

  /** The host's keys as ssh-keyscan reports them, as known_hosts lines. */
  private async scan(): Promise<string[]> {
    const args = ["ssh-keyscan", "-p", String(this.port), "-T", String(this.timeout), "--", this.hostname];
    const result = await this.cmd(args, { timeout: this.timeout + 5, ignoreReturnCode: true });
    if (result.code === 127) throw new DeploymentError("ssh-keyscan is not installed (Debian package openssh-client)", { component: this.breadcrumbs });
    const lines = result.stdout.split("\n").filter((line) => parseKnownHost(line) !== undefined);
    if (lines.length === 0) {
      throw new DeploymentError(`ssh-keyscan found no keys for ${this.name}`, {
        component: this.breadcrumbs,
        stderr: result.stderr.trim().slice(-1000) || undefined,
        hint: "is sshd listening there?",
      });
    }
    return lines;
  }

  override async update(): Promise<void> {
    const current = existsSync(this.target) ? readFileSync(this.target, "utf8") : "";
    const content = this._content ?? current + (current && !current.endsWith("\n") ? "\n" : "") + (await this.scan()).join("\n") + "\n";
    if (!existsSync(dirname(this.target))) mkdirSync(dirname(this.target), { recursive: true, mode: 0o700 });
    writeFileAtomic(this.target, content, { mode: existsSync(this.target) ? statSync(this.target).mode & 0o777 : 0o644 });
  }
}

/** The options of {@link KnownHost}. */
export type KnownHostOptions = Partial<Pick<KnownHost, "key" | "port" | "path" | "timeout">>;
