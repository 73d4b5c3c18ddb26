/**
 * An environment's batou secrets (`secrets.cfg.age`, `.gpg`, `.age-diffable`, and
 * `secret-NAME.*` files) opened with the user's identity, converted to this tool's
 * secrets TOML, and sealed with the secrets library (`seal()`: signed by the user,
 * bound to environment and file name) to the recipients that carry over. Cleartext
 * stays in memory: nothing but sealed files is written.
 *
 * Recipients carry over when they are `ssh-ed25519` keys: in `[batou] members`, in
 * `age_keys.txt`, or behind an `https://` URL (fetched only with `--fetch-keys`, else
 * taken from `age_keys.txt`, where batou wrote them). GnuPG keys, `ssh-rsa` and age's
 * own `age1…` keys cannot be recipients here; the report says what their owners do.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { seal } from "../secrets/format.ts";
import { loadIdentities } from "../secrets/identities.ts";
import { parsePublicKey, parseRecipients } from "../secrets/recipients.ts";
import { parseSecretsToml } from "../secrets/cleartext.ts";
import { SECRET_NAME, SECRETS_TOML } from "../secrets/paths.ts";
import type { Identity, Recipient } from "../secrets/types.ts";
import { ageIdentityPaths, decryptAge, loadAgeIdentities, type AgeIdentities } from "./age.ts";
import type { ClassModel } from "./component-model.ts";
import { componentSections } from "./environment.ts";
import { decryptGpg, gpgRecipients } from "./gpg.ts";
import { parseIni, type IniSection } from "./ini.ts";
import type { BatouEnvironment } from "./project.ts";
import { fileReport, type FileReport } from "./report.ts";
import { commentLines, tomlKey, tomlString } from "./toml-text.ts";

type Env = Record<string, string | undefined>;

export interface SecretsOptions {
  /** Fetch `https://` members (batou's key URLs) again. */
  fetchKeys?: boolean;
  /** The process environment (identities, passphrases). */
  env?: Env;
}

type Provider = "age" | "gpg" | "age-diffable";

/** One encrypted file of batou's. */
interface BatouSecretFile {
  path: string;
  provider: Provider;
  /** null: the secrets.cfg; else the secret file's name. */
  name: string | null;
}

/** batou's secrets of an environment, in the layouts batou 2.x used. */
export function batouSecretFiles(project: string, env: BatouEnvironment): BatouSecretFile[] {
  const files: BatouSecretFile[] = [];
  if (env.legacy) {
    // before batou 2.3: secrets/<env>.cfg and secrets/<env>-<name>, all GnuPG
    const dir = join(project, "secrets");
    if (existsSync(join(dir, `${env.name}.cfg`))) files.push({ path: join(dir, `${env.name}.cfg`), provider: "gpg", name: null });
    for (const entry of existsSync(dir) ? readDir(dir) : []) {
      if (entry.startsWith(`${env.name}-`)) files.push({ path: join(dir, entry), provider: "gpg", name: entry.slice(env.name.length + 1) });
    }
    return files;
  }
  const dir = env.folder!;
  const entries = readDir(dir);
  const config = entries.find((e) => /^secrets\.cfg\.(age|gpg|age-diffable)$/.test(e)) ?? (entries.includes("secrets.cfg") ? "secrets.cfg" : undefined);
  if (!config) return files;
  const provider: Provider = config === "secrets.cfg" ? "gpg" : (config.slice("secrets.cfg.".length) as Provider);
  files.push({ path: join(dir, config), provider, name: null });
  // batou 2.4+: secret-NAME.age (also for age-diffable) or .gpg; before: secret-NAME, GnuPG
  const ending = config === "secrets.cfg" ? "" : provider === "gpg" ? ".gpg" : ".age";
  for (const entry of entries) {
    if (!entry.startsWith("secret-") || !entry.endsWith(ending)) continue;
    files.push({ path: join(dir, entry), provider: provider === "age-diffable" ? "age" : provider, name: entry.slice("secret-".length, entry.length - ending.length) });
  }
  return files;
}

function readDir(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** Whether the environment has batou secrets (then it needs a folder here too). */
export function hasBatouSecrets(project: string, env: BatouEnvironment): boolean {
  return batouSecretFiles(project, env).length > 0;
}

async function decrypt(file: BatouSecretFile, age: () => AgeIdentities, env: Env): Promise<Uint8Array> {
  const data = new Uint8Array(readFileSync(file.path));
  if (file.provider === "gpg") return decryptGpg(file.path, env);
  if (file.provider === "age") return decryptAge(data, age());
  // age-diffable: an INI file whose values (outside [batou]) are base64 age files
  const doc = parseIni(new TextDecoder().decode(data), file.path);
  const lines: string[] = [];
  for (const section of doc.sections) {
    lines.push(`[${section.name}]`);
    for (const entry of section.entries) {
      const value = section.name === "batou" ? entry.value : new TextDecoder().decode(await decryptAge(new Uint8Array(Buffer.from(entry.value, "base64")), age()));
      lines.push(`${entry.key} = ${value.split("\n").join("\n    ")}`);
    }
  }
  return new TextEncoder().encode(`${lines.join("\n")}\n`);
}

/** A recipient line to write, with the comment above it. */
interface CarriedKey {
  comment: string;
  line: string;
  recipient: Recipient;
}

/** `age_keys.txt`: the keys batou last sealed to, grouped under `# ssh key file from URL` comments. */
function ageKeysFile(dir: string | undefined): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  if (!dir || !existsSync(join(dir, "age_keys.txt"))) return groups;
  let current = "";
  for (const raw of readFileSync(join(dir, "age_keys.txt"), "utf8").split("\n")) {
    const line = raw.trim();
    const from = /^# ssh key file from (\S+)/.exec(line);
    if (from) current = from[1];
    else if (line.startsWith("#")) current = "";
    else if (line) groups.set(current, [...(groups.get(current) ?? []), line]);
  }
  return groups;
}

async function fetchKeys(url: string): Promise<string[]> {
  const response = await fetch(url, { signal: AbortSignal.timeout(30_000), redirect: "follow" });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return (await response.text()).split("\n").map((l) => l.trim()).filter((l) => l.startsWith("ssh-"));
}

/** batou's members, as the recipients that carry over; the rest goes to the report. */
async function carryRecipients(members: string[], provider: Provider, dir: string | undefined, options: SecretsOptions, report: FileReport): Promise<CarriedKey[]> {
  const carried: CarriedKey[] = [];
  const ageKeys = ageKeysFile(dir);
  const take = (line: string, comment: string) => {
    const type = line.split(/\s+/)[0];
    if (type !== "ssh-ed25519") {
      report.hand.push(`${comment}: a ${type} key cannot be a recipient here (only ssh-ed25519 and batou keys); its owner makes one (ssh-keygen -t ed25519, or batou secrets keygen) and a recipient runs batou secrets add '<public key>'`);
      return;
    }
    try {
      const recipient = parsePublicKey(line, comment);
      if (!carried.some((c) => c.recipient.fingerprint === recipient.fingerprint)) carried.push({ comment, line, recipient });
    } catch (error) {
      report.hand.push(`${comment}: ${(error as Error).message}`);
    }
  };
  for (const member of members) {
    if (member.startsWith("ssh-")) take(member, "member key");
    else if (member.startsWith("age1")) {
      report.hand.push(`member ${member}: an age X25519 key cannot be a recipient here; its owner makes an ssh-ed25519 or batou key (batou secrets keygen) and a recipient runs batou secrets add '<public key>'`);
    } else if (member.startsWith("https://")) {
      let keys: string[] | undefined;
      if (options.fetchKeys) {
        try {
          keys = await fetchKeys(member);
          report.converted.push(`fetched the keys of ${member}`);
        } catch (error) {
          report.hand.push(`${member}: cannot fetch it (${(error as Error).message})`);
        }
      } else if (ageKeys.has(member)) {
        keys = ageKeys.get(member);
        report.converted.push(`the keys of ${member} as batou last fetched them (age_keys.txt; --fetch-keys fetches them again)`);
      } else report.hand.push(`${member}: its keys are not in age_keys.txt; run again with --fetch-keys to fetch them`);
      for (const key of keys ?? []) take(key, `key from ${member}`);
    } else if (member.startsWith("http://")) {
      report.hand.push(`${member}: batou refuses keys over http; give the key itself or an https:// URL`);
    } else if (provider === "gpg" || member) {
      report.hand.push(`GnuPG recipient ${member}: GnuPG keys cannot be recipients here; its owner gives an ssh-ed25519 public key (or makes one with batou secrets keygen) and a recipient runs batou secrets add '<public key>'`);
    }
  }
  return carried;
}

function membersOf(batouSection: IniSection | undefined): string[] {
  const value = batouSection?.entries.find((e) => e.key === "members")?.value ?? "";
  return value.split(/[\n,]+/).map((m) => m.trim()).filter(Boolean);
}

/** The secrets TOML of batou's cleartext `secrets.cfg`. */
function secretsToml(text: string, source: string, models: Map<string, ClassModel>, hosts: string[], report: FileReport): { toml: string; members: string[] } {
  const doc = parseIni(text, source);
  const lines: string[] = [`# Migrated from ${source} by batou migrate-python.`];
  const components: { component: string; section: IniSection }[] = [];
  let members: string[] = [];
  for (const section of doc.sections) {
    if (section.name === "batou") {
      members = membersOf(section);
      continue;
    }
    if (section.name.startsWith("host:")) {
      const host = section.name.slice("host:".length);
      if (!hosts.includes(host)) report.hand.push(`[${section.name}]: the environment has no host ${host} (batou: UnknownHostSecretsSection)`);
      lines.push("", ...commentLines(section.comments), `[hosts.${tomlKey(host)}.data]`);
      for (const entry of section.entries) {
        lines.push(...commentLines(entry.comments), `${tomlKey(entry.key.replace(/^data-/, ""))} = ${tomlString(entry.value)}`);
        report.converted.push(`[${section.name}] ${entry.key} → [hosts.${host}.data]`);
      }
      continue;
    }
    const component = section.name.replace(/^component:/, "");
    components.push({ component, section });
  }
  lines.push(...componentSections(components, models, report, (c) => `[components.${tomlKey(c)}]`));
  return { toml: `${lines.join("\n")}\n`, members };
}

/** The first of the user's identities that is among `recipients`: it signs. */
function sealer(recipients: Recipient[], env: Env): Identity | string {
  let identities: Identity[];
  try {
    identities = loadIdentities(env);
  } catch (error) {
    return (error as Error).message;
  }
  const found = identities.find((id) => recipients.some((r) => r.fingerprint === id.fingerprint));
  if (found) return found;
  return `none of your identities (${identities.map((i) => i.source).join(", ")}) is among the recipients that carry over, and only a recipient can seal; add your ssh-ed25519 key to [batou] members with Python batou, or set BATOU_IDENTITY to one of the members' keys`;
}

export interface MigratedSecrets {
  files: { path: string; content: string }[];
  report: FileReport;
}

/** Converts and seals the secrets of one environment (nothing when it has none, or when they cannot be opened). */
export async function migrateSecrets(project: string, env: BatouEnvironment, models: Map<string, ClassModel>, hosts: string[], options: SecretsOptions): Promise<MigratedSecrets> {
  const files = batouSecretFiles(project, env);
  const report = fileReport(files.length ? relative(project, files[0].path) : `environments/${env.name} (secrets)`);
  if (files.length === 0) return { files: [], report };
  const processEnv = options.env ?? process.env;
  let ageIds: AgeIdentities | undefined;
  const age = () => (ageIds ??= loadAgeIdentities(ageIdentityPaths(processEnv), processEnv));
  const plain = new Map<string | null, Uint8Array>();
  for (const file of files) {
    try {
      plain.set(file.name, await decrypt(file, age, processEnv));
    } catch (error) {
      const ids = file.provider === "gpg" ? `GnuPG (encrypted to ${gpgRecipients(file.path, processEnv).join(", ") || "unknown keys"})` : `your identities: ${age().described.join(", ") || "none found"}`;
      report.hand.push(`${relative(project, file.path)}: cannot decrypt it with ${ids}: ${(error as Error).message}${ageIds?.problems.length ? ` (${ageIds.problems.join("; ")})` : ""}; its secrets were not migrated`);
      return { files: [], report };
    }
    if (file.name !== null && !SECRET_NAME.test(file.name)) {
      report.hand.push(`${relative(project, file.path)}: the name ${JSON.stringify(file.name)} is not allowed here (letters, digits, ".", "_", "-"); not migrated`);
      plain.delete(file.name);
    }
  }
  const source = relative(project, files[0].path);
  const config = plain.get(null) ?? new Uint8Array();
  let converted: { toml: string; members: string[] };
  try {
    converted = secretsToml(new TextDecoder().decode(config), source, models, hosts, report);
    parseSecretsToml(converted.toml, source);
  } catch (error) {
    report.hand.push(`${source}: ${(error as Error).message.replace(/^.*?:\d+: /, "")} (in the cleartext); its secrets were not migrated`);
    return { files: [], report };
  }
  const envDir = join("environments", env.name);
  const recipientsFile = join(project, envDir, "recipients");
  let recipients: Recipient[];
  const out: { path: string; content: string }[] = [];
  if (existsSync(recipientsFile)) {
    recipients = parseRecipients(readFileSync(recipientsFile, "utf8"), relative(project, recipientsFile));
    report.converted.push(`sealed to the recipients of ${relative(project, recipientsFile)} (exists already)`);
  } else {
    const carried = await carryRecipients(converted.members, files[0].provider, env.folder, options, report);
    recipients = carried.map((c) => c.recipient);
    const text = [`# Recipients of the ${env.name} secrets, carried over from batou's members by batou migrate-python.`, ...carried.flatMap((c) => [`# ${c.comment}`, c.line])].join("\n");
    out.push({ path: join(envDir, "recipients"), content: `${text}\n` });
    report.converted.push(`${carried.length} recipient(s) carried over`);
  }
  if (recipients.length === 0) {
    report.hand.push("no recipient carries over, so nothing can be sealed; add ssh-ed25519 keys to environments/" + env.name + "/recipients, then run again");
    return { files: [], report };
  }
  const signer = sealer(recipients, processEnv);
  if (typeof signer === "string") {
    report.hand.push(`${signer}; the secrets were not migrated`);
    return { files: [], report };
  }
  const signing = await signer.signer();
  out.push({ path: join(envDir, SECRETS_TOML), content: seal(new TextEncoder().encode(converted.toml), recipients, signing, { environment: env.name, file: SECRETS_TOML }) });
  report.converted.push(`sealed ${SECRETS_TOML}, signed by ${signer.source}`);
  for (const [name, content] of plain) {
    if (name === null) continue;
    const file = `secret-${name}.nacl`;
    out.push({ path: join(envDir, file), content: seal(content, recipients, signing, { environment: env.name, file }) });
    report.converted.push(`secret file ${name} → ${file}`);
  }
  return { files: out, report };
}
