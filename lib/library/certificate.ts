import { X509Certificate, createPrivateKey, type KeyObject } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CommandError, Component, ConfigurationError, DeploymentError, UpdateNeeded, writeFileAtomic } from "../batou-core.ts";

/** The key types `keyType` accepts, as `openssl genpkey` arguments. */
const KEY_TYPES: Record<string, string[]> = {
  "rsa:2048": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
  "rsa:3072": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"],
  "rsa:4096": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:4096"],
  "ec:prime256v1": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
  "ec:secp384r1": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp384r1"],
  ed25519: ["-algorithm", "ED25519"],
};

const DNS_NAME = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62})?)*$/;
const DAY_MS = 86_400_000;

/** `DNS:name` / `IP:address` entries for a certificate's subjectAltName. */
export function subjectAltNames(commonName: string, altNames: string[]): string[] {
  const names = [...(isIP(commonName) || DNS_NAME.test(commonName) ? [commonName] : []), ...altNames];
  return [...new Set(names.map((name) => (isIP(name) ? `IP:${name}` : `DNS:${name.toLowerCase()}`)))];
}

/** The subjectAltName entries of `certificate`, in the same form as `subjectAltNames`. */
export function certificateAltNames(certificate: X509Certificate): string[] {
  return (certificate.subjectAltName ?? "")
    .split(", ")
    .filter(Boolean)
    .map((entry) => entry.replace(/^IP Address:/, "IP:").replace(/^DNS:(.*)$/, (_, name: string) => `DNS:${name.toLowerCase()}`));
}

/** The openssl configuration of a self-signed server certificate (names are validated before). */
export function opensslConfig(commonName: string, altNames: string[]): string {
  return [
    "[req]",
    "distinguished_name = subject",
    "x509_extensions = leaf",
    "prompt = no",
    "[subject]",
    `CN = ${commonName}`,
    "[leaf]",
    "basicConstraints = critical, CA:FALSE",
    "keyUsage = critical, digitalSignature, keyEncipherment",
    "extendedKeyUsage = serverAuth, clientAuth",
    "subjectKeyIdentifier = hash",
    ...(altNames.length ? [`subjectAltName = ${altNames.join(", ")}`] : []),
    "",
  ].join("\n");
}

/** Whether `key` is of `keyType` (`rsa:2048`, `ec:prime256v1`, `ed25519`, ...). */
function keyHasType(key: KeyObject, keyType: string): boolean {
  const [kind, size] = keyType.split(":");
  const details = key.asymmetricKeyDetails ?? {};
  if (kind === "rsa") return key.asymmetricKeyType === "rsa" && details.modulusLength === Number(size);
  if (kind === "ec") return key.asymmetricKeyType === "ec" && details.namedCurve === size;
  return key.asymmetricKeyType === kind;
}

/**
 * `Certificate`: a private key and a self-signed X.509 certificate for a
 * common name and alternative names (DNS names and IP addresses), made with
 * `openssl`. A new certificate is made when there is none, when it expires
 * within `renewDays`, when its names differ from the configured ones, or when
 * it does not belong to the key. The key is kept while it exists and has the
 * configured type, so a renewal replaces only the certificate; it is written
 * with mode 0600 and never shown. Both files are replaced atomically.
 *
 * @example
 * ```ts
 * this.add(new Certificate("tls/app.crt", { commonName: "app.example.com", altNames: ["www.example.com", "127.0.0.1"], days: 365 }));
 * // the key: tls/app.key
 * ```
 */
export class Certificate extends Component {
  static override namevar = "path";
  /** The certificate file; relative paths are inside the workdir. */
  path = "";
  /** Only self-signed certificates are made (default true). */
  selfSigned = true;
  /** The subject's CN (default: the host's fully qualified name). */
  commonName = "";
  /** More DNS names and IP addresses; the common name is one too when it is a DNS name. */
  altNames: string[] = [];
  /** Validity of a new certificate in days (default 365). */
  days = 365;
  /** Renew when the certificate expires within this many days (default 30). */
  renewDays = 30;
  /** The private key's path (default: the certificate's path with `.key` for its suffix). */
  key = "";
  /** `rsa:2048` (default), `rsa:3072`, `rsa:4096`, `ec:prime256v1`, `ec:secp384r1` or `ed25519`. */
  keyType = "rsa:2048";

  /** What verify found: whether a new key is needed. */
  private _newKey = false;

  constructor(path: string, options: CertificateOptions = {}) {
    super(path, options);
  }

  /** The certificate's absolute path. */
  get certificatePath(): string {
    return this.map(this.path);
  }

  /** The key's absolute path. */
  get keyPath(): string {
    return this.map(this.key);
  }

  private invalid(message: string, attribute: string, expected: string): never {
    throw new ConfigurationError(message, { component: this.breadcrumbs, attribute, expected });
  }

  override configure(): void {
    if (this.selfSigned !== true) {
      throw new ConfigurationError("only self-signed certificates can be made", {
        component: this.breadcrumbs,
        attribute: "selfSigned",
        hint: "for a certificate from a CA, deploy its files with File (the key with sensitive: true)",
      });
    }
    this.commonName ||= this.host.fqdn;
    if (!/^[A-Za-z0-9*][A-Za-z0-9 .*_-]{0,63}$/.test(this.commonName) || this.commonName.endsWith(" ")) {
      this.invalid(`invalid common name "${this.commonName}"`, "commonName", "a host name or up to 64 letters, digits, spaces, dots, dashes");
    }
    if (!Array.isArray(this.altNames)) this.invalid("altNames is not a list", "altNames", "a list of DNS names and IP addresses");
    for (const name of this.altNames) {
      if (typeof name !== "string" || !(isIP(name) || DNS_NAME.test(name))) this.invalid(`invalid alternative name "${name}"`, "altNames", "a DNS name or an IP address");
    }
    for (const attribute of ["days", "renewDays"] as const) {
      if (!Number.isInteger(this[attribute]) || this[attribute] < 1) this.invalid(`${attribute} is not a whole number of days`, attribute, "a whole number ≥ 1");
    }
    if (this.renewDays >= this.days) this.invalid("renewDays is not less than days: every deploy would renew", "renewDays", `fewer than ${this.days}`);
    if (!(this.keyType in KEY_TYPES)) this.invalid(`unknown key type "${this.keyType}"`, "keyType", Object.keys(KEY_TYPES).join(", "));
    this.key ||= this.path.replace(/\.(crt|pem|cert|cer)$/, "") + ".key";
    if (this.map(this.key) === this.certificatePath) this.invalid("the key and the certificate have the same path", "key", "a path of its own");
  }

  /** The wanted subjectAltName entries. */
  get wantedAltNames(): string[] {
    return subjectAltNames(this.commonName, this.altNames);
  }

  private readKey(): KeyObject | undefined {
    try {
      return createPrivateKey(readFileSync(this.keyPath));
    } catch {
      return undefined;
    }
  }

  /** Why a new certificate is needed, or undefined. */
  private certificateProblem(key: KeyObject): string | undefined {
    if (!existsSync(this.certificatePath)) return "no certificate yet";
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(readFileSync(this.certificatePath));
    } catch {
      return "the certificate cannot be read";
    }
    if (!certificate.checkPrivateKey(key)) return "the certificate does not belong to the key";
    if (certificate.subject !== `CN=${this.commonName}`) return `its subject is ${certificate.subject}, not CN=${this.commonName}`;
    const names = certificateAltNames(certificate);
    const wanted = this.wantedAltNames;
    if (names.length !== wanted.length || wanted.some((name) => !names.includes(name))) return `its names are ${names.join(", ") || "(none)"}, not ${wanted.join(", ")}`;
    const expires = new Date(certificate.validTo).getTime();
    if (expires - Date.now() < this.renewDays * DAY_MS) return `it expires ${new Date(expires).toISOString().slice(0, 10)}, within ${this.renewDays} days`;
    return undefined;
  }

  override async verify(): Promise<void> {
    const key = this.readKey();
    this._newKey = key === undefined || !keyHasType(key, this.keyType);
    const problem = this._newKey
      ? existsSync(this.keyPath)
        ? `the key is not a ${this.keyType} key`
        : "no key yet"
      : this.certificateProblem(key!);
    if (problem === undefined) return;
    this.log(`${this.certificatePath}: ${problem}; a new self-signed certificate for ${this.wantedAltNames.join(", ") || this.commonName}, valid ${this.days} days${this._newKey ? `, with a new ${this.keyType} key` : ""}`);
    throw new UpdateNeeded(`${this.certificatePath}: ${problem}`);
  }

  private async openssl(args: string[], input?: string): Promise<string> {
    try {
      return (await this.cmd(["openssl", ...args], { input })).stdout;
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      // only stderr: stdout may hold a key
      throw new DeploymentError(error.exitCode === 127 ? "openssl is not installed" : `openssl ${args[0]} failed`, {
        component: this.breadcrumbs,
        path: this.certificatePath,
        stderr: error.stderr.trim().slice(-2000) || undefined,
      });
    }
  }

  override async update(): Promise<void> {
    const key = this._newKey ? await this.openssl(["genpkey", ...KEY_TYPES[this.keyType]!]) : readFileSync(this.keyPath, "utf8");
    const scratch = mkdtempSync(join(tmpdir(), "batou-certificate-"));
    let certificate: string;
    try {
      writeFileSync(join(scratch, "openssl.cnf"), opensslConfig(this.commonName, this.wantedAltNames));
      const digest = this.keyType === "ed25519" ? [] : ["-sha256"];
      certificate = await this.openssl(["req", "-x509", "-new", "-config", join(scratch, "openssl.cnf"), "-key", "/dev/stdin", "-days", String(this.days), ...digest], key);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    if (this._newKey) writeFileAtomic(this.keyPath, key, { mode: 0o600 });
    writeFileAtomic(this.certificatePath, certificate);
  }
}

/** The options of {@link Certificate}. */
export type CertificateOptions = Partial<Pick<Certificate, "selfSigned" | "commonName" | "altNames" | "days" | "renewDays" | "key" | "keyType">>;
