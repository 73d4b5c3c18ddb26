import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { Component, ConfigurationError, UpdateNeeded, writeFileAtomic } from "../batou-core.ts";
import { formatPublicKey, parsePublicKey, type PublicKey, sameKey } from "./ssh-keys.ts";

/** The file's new content from its current one. */
export function authorizedKeysContent(current: string, keys: PublicKey[], exclusive: boolean): string {
  const lines: string[] = [];
  const placed = new Set<PublicKey>();
  if (!exclusive) {
    for (const line of current.split("\n")) {
      if (line === "") continue;
      const existing = parsePublicKey(line);
      const wanted = existing && keys.find((key) => sameKey(key, existing));
      if (wanted) {
        if (!placed.has(wanted)) lines.push(formatPublicKey(wanted));
        placed.add(wanted);
      } else lines.push(line);
    }
  }
  for (const key of keys) if (!placed.has(key)) lines.push(formatPublicKey(key));
  return lines.length ? lines.join("\n") + "\n" : "";
}

/**
 * `AuthorizedKeys`: the service user's `~/.ssh/authorized_keys` holds exactly
 * the given public keys (`exclusive`, the default: a key added by hand is
 * removed), or at least them (`exclusive: false`: other lines are kept and
 * missing keys appended). Keys are compared by type and key blob, so a
 * changed comment or option rewrites the line in place. Every key is checked
 * before anything is written (its blob must decode and name its type). The
 * file is written atomically with mode 0600 in a `~/.ssh` of mode 0700, as
 * sshd's StrictModes wants; a change is shown as a diff.
 *
 * @example
 * ```ts
 * this.add(new AuthorizedKeys({ keys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE3... alice@laptop"] }));
 * ```
 */
export class AuthorizedKeys extends Component {
  /** Public key lines (`[options] type base64 [comment]`). */
  keys: string[] = [];
  /** Remove keys not given (default true); false only adds. */
  exclusive = true;
  /** The file (default `~/.ssh/authorized_keys`). */
  path = "~/.ssh/authorized_keys";

  private _keys: PublicKey[] = [];
  private _content = "";

  constructor(options: AuthorizedKeysOptions) {
    super(options);
  }

  get target(): string {
    return this.map(this.path);
  }

  override configure(): void {
    if (!Array.isArray(this.keys)) throw new ConfigurationError("keys is not a list", { component: this.breadcrumbs, attribute: "keys", expected: "a list of public key lines" });
    this._keys = [];
    for (const [index, line] of this.keys.entries()) {
      const key = typeof line === "string" ? parsePublicKey(line) : undefined;
      if (!key) {
        throw new ConfigurationError(`key ${index + 1} is not an OpenSSH public key`, {
          component: this.breadcrumbs,
          attribute: "keys",
          given: String(line).slice(0, 60),
          expected: '"ssh-ed25519 AAAA... comment" (a line of a .pub file)',
        });
      }
      if (!this._keys.some((other) => sameKey(other, key))) this._keys.push(key);
    }
  }

  override async verify(): Promise<void> {
    const current = existsSync(this.target) ? readFileSync(this.target, "utf8") : undefined;
    this._content = authorizedKeysContent(current ?? "", this._keys, this.exclusive);
    const modeOk = current !== undefined && (statSync(this.target).mode & 0o777) === 0o600;
    if (current === this._content && modeOk) return;
    if (current !== this._content) this.showDiff(this.target, current ?? "", this._content);
    else this.log(`${this.target}: mode ${(statSync(this.target).mode & 0o777).toString(8)} → 600`);
    throw new UpdateNeeded(`${this.target} differs`);
  }

  override async update(): Promise<void> {
    const folder = dirname(this.target);
    if (!existsSync(folder)) mkdirSync(folder, { recursive: true, mode: 0o700 });
    else if ((statSync(folder).mode & 0o077) !== 0 && folder.endsWith("/.ssh")) chmodSync(folder, 0o700);
    writeFileAtomic(this.target, this._content, { mode: 0o600 });
  }
}

/** The options of {@link AuthorizedKeys}: `keys` is required. */
export type AuthorizedKeysOptions = Pick<AuthorizedKeys, "keys"> & Partial<Pick<AuthorizedKeys, "exclusive" | "path">>;
