import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { userInfo } from "node:os";
import { basename, dirname, join } from "node:path";
import { CommandError, Component, ConfigurationError, DeploymentError, UpdateNeeded, writeFileAtomic } from "../batou-core.ts";
import { parsePublicKey, type PublicKey, sameKey } from "./ssh-keys.ts";

/** Key types and the public key type each makes. */
const TYPES: Record<string, { keyType: (bits: number | undefined) => string; bits?: number[] }> = {
  ed25519: { keyType: () => "ssh-ed25519" },
  rsa: { keyType: () => "ssh-rsa", bits: [2048, 3072, 4096] },
  ecdsa: { keyType: (bits) => `ecdsa-sha2-nistp${bits ?? 256}`, bits: [256, 384, 521] },
};

/**
 * `KeyPair`: an SSH key pair of the service user, generated once with
 * `ssh-keygen` (no passphrase) and kept: later deploys never replace the
 * private key. A missing or different public key file is written again from
 * the private key (`ssh-keygen -y`). A private key of another type than the
 * configured one is an error, not replaced. The private key (mode 0600) is
 * never shown; both files appear only when both are complete.
 *
 * @example
 * ```ts
 * const pair = this.add(new KeyPair("~/.ssh/id_ed25519", { comment: "backup@app" }));
 * // pair.publicKeyPath: ~/.ssh/id_ed25519.pub
 * ```
 */
export class KeyPair extends Component {
  static override namevar = "path";
  /** The private key file (the public key is `PATH.pub`). */
  path = "";
  /** `ed25519` (default), `rsa` or `ecdsa`. */
  type = "ed25519";
  /** Key size for rsa (2048, 3072, 4096; default 3072) and ecdsa (256, 384, 521; default 256). */
  bits: number | undefined = undefined;
  /** The public key's comment (default `user@host`). */
  comment = "";

  /** What verify found: "generate", "public" (write the public key again) or nothing. */
  private _action?: "generate" | "public";
  private _public = "";

  constructor(path: string, options: KeyPairOptions = {}) {
    super(path, options);
  }

  /** The private key's absolute path. */
  get privateKeyPath(): string {
    return this.map(this.path);
  }

  /** The public key's absolute path. */
  get publicKeyPath(): string {
    return `${this.privateKeyPath}.pub`;
  }

  override configure(): void {
    const type = TYPES[this.type];
    if (!type) throw new ConfigurationError(`unknown key type "${this.type}"`, { component: this.breadcrumbs, attribute: "type", expected: Object.keys(TYPES).join(", ") });
    if (this.bits !== undefined && !type.bits?.includes(this.bits)) {
      throw new ConfigurationError(`a ${this.type} key cannot have ${this.bits} bits`, { component: this.breadcrumbs, attribute: "bits", expected: type.bits?.join(", ") ?? "no bits option" });
    }
    if (/[\n\r]/.test(this.comment)) throw new ConfigurationError("the comment has a line break", { component: this.breadcrumbs, attribute: "comment" });
  }

  private async sshKeygen(args: string[]): Promise<string> {
    try {
      return (await this.cmd(["ssh-keygen", ...args])).stdout;
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      throw new DeploymentError(error.exitCode === 127 ? "ssh-keygen is not installed (Debian package openssh-client)" : `ssh-keygen ${args[0]} failed`, {
        component: this.breadcrumbs,
        path: this.privateKeyPath,
        stderr: error.stderr.trim().slice(-1000) || undefined,
      });
    }
  }

  /** The public half of the existing private key. */
  private async derivePublic(): Promise<PublicKey> {
    // -P "": a key with a passphrase fails instead of prompting
    const line = (await this.sshKeygen(["-y", "-P", "", "-f", this.privateKeyPath])).trim();
    const key = parsePublicKey(line);
    if (!key) throw new DeploymentError("ssh-keygen -y gave no public key", { component: this.breadcrumbs, path: this.privateKeyPath });
    return key;
  }

  private get wantedKeyType(): string {
    return TYPES[this.type]!.keyType(this.bits);
  }

  private get commentText(): string {
    return this.comment || `${userInfo().username}@${this.host.name}`;
  }

  override async verify(): Promise<void> {
    if (!existsSync(this.privateKeyPath)) {
      this._action = "generate";
      this.log(`generate a ${this.type} key pair: ${this.privateKeyPath}, ${this.publicKeyPath}`);
      throw new UpdateNeeded(`${this.privateKeyPath} does not exist`);
    }
    const key = await this.derivePublic();
    const wanted = this.wantedKeyType;
    if (key.type !== wanted && !(this.type === "ecdsa" && this.bits === undefined && key.type.startsWith("ecdsa-"))) {
      throw new DeploymentError(`${this.privateKeyPath} is a ${key.type} key, not ${wanted}; refusing to replace it`, {
        component: this.breadcrumbs,
        hint: "remove the key by hand to have a new one generated, or configure its type",
      });
    }
    if ((statSync(this.privateKeyPath).mode & 0o077) !== 0) {
      throw new DeploymentError(`${this.privateKeyPath} can be read by others: ssh refuses such a key`, { component: this.breadcrumbs, hint: `chmod 600 ${this.privateKeyPath}` });
    }
    const existing = existsSync(this.publicKeyPath) ? parsePublicKey(readFileSync(this.publicKeyPath, "utf8")) : undefined;
    if (existing && sameKey(existing, key)) return;
    this._action = "public";
    this._public = `${key.type} ${key.blob} ${existing?.comment || this.commentText}\n`;
    this.log(`write ${this.publicKeyPath} from the private key`);
    throw new UpdateNeeded(`${this.publicKeyPath} does not match the private key`);
  }

  override async update(): Promise<void> {
    if (this._action === "public") {
      writeFileAtomic(this.publicKeyPath, this._public, { mode: 0o644 });
      return;
    }
    const folder = dirname(this.privateKeyPath);
    if (!existsSync(folder)) mkdirSync(folder, { recursive: true, mode: 0o700 });
    // generated in a private folder beside the target, then moved into place: public key last
    const scratch = mkdtempSync(join(folder, `.${basename(this.privateKeyPath)}.batou-keygen-`));
    try {
      const generated = join(scratch, "key");
      const bits = this.bits ?? (this.type === "rsa" ? 3072 : undefined);
      await this.sshKeygen(["-q", "-t", this.type, ...(bits ? ["-b", String(bits)] : []), "-N", "", "-C", this.commentText, "-f", generated]);
      renameSync(generated, this.privateKeyPath);
      renameSync(`${generated}.pub`, this.publicKeyPath);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
}

/** The options of {@link KeyPair}. */
export type KeyPairOptions = Partial<Pick<KeyPair, "type" | "bits" | "comment">>;
