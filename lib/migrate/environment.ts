/**
 * A batou `environment.cfg` as this tool's TOML environment: every key batou reads,
 * with the comments that stood above it, and a report line for everything that
 * carried over or needs a decision. Values are checked with the environment
 * schema's own checks, so what this writes is what the loader accepts; a value it
 * refuses is written as a comment with the reason.
 */
import { ENVIRONMENT_KEYS, HOST_KEYS, RESOLVER_KEYS, VFS_KEYS, type KeySpec } from "../engine/environment-schema.ts";
import type { ClassModel } from "./component-model.ts";
import { asList, type IniDocument, type IniEntry, type IniSection } from "./ini.ts";
import { convertOverrides } from "./override-value.ts";
import type { FileReport } from "./report.ts";
import { commentLines, tomlKey, tomlString, tomlValue } from "./toml-text.ts";

/** The environment's TOML text and what its hosts and overrides name (for the secrets). */
export interface ConvertedEnvironment {
  toml: string;
  hosts: string[];
}

/** batou keys of [environment] that have no counterpart, and why. */
const DROPPED_ENVIRONMENT_KEYS: Record<string, string> = {
  update_method: "the project is always shipped with rsync here",
  require_sudo: "sudo is used when the service user differs from the login user",
  repository_url: "the project is shipped from this working copy, not fetched by the hosts",
  repository_root: "the project is shipped from this working copy, not fetched by the hosts",
};

const TIMEOUT_DEFAULT = ENVIRONMENT_KEYS.timeout.default;

/** A line of TOML for `key` with `value`, or a commented line with the schema's objection. */
function keyLine(key: string, value: unknown, spec: KeySpec<unknown>, report: FileReport, where: string): string[] {
  const checked = spec.planned ? { problem: "is not implemented yet here" } : spec.type.check(value);
  if ("problem" in checked) {
    report.hand.push(`${where}: ${key} = ${JSON.stringify(value)} ${checked.problem}; written as a comment`);
    return [`# ${key} = ${tomlValue(value)}  # TODO(migrate): ${checked.problem}`];
  }
  return [`${key} = ${tomlValue(value)}`];
}

/** batou reads booleans of host sections with `ast.literal_eval`. */
function pythonBool(text: string): boolean | undefined {
  const t = text.trim();
  if (t === "True" || t === "1") return true;
  if (t === "False" || t === "0") return false;
  return undefined;
}

function requirement(text: string): boolean | "optional" | undefined {
  return text.trim() === "optional" ? "optional" : pythonBool(text);
}

/** `~/deployment` (batou) is `deployment` here: relative to the service user's home. */
function targetDirectory(text: string): string {
  const t = text.trim();
  if (t === "~") return ".";
  return t.startsWith("~/") ? t.slice(2) : t;
}

function environmentSection(section: IniSection, report: FileReport): string[] {
  const out: string[] = [...commentLines(section.comments), "[environment]"];
  for (const entry of section.entries) {
    const where = `line ${entry.line}`;
    out.push(...commentLines(entry.comments));
    const key = entry.key;
    const value = entry.value;
    if (key in DROPPED_ENVIRONMENT_KEYS) {
      const hand = key === "update_method" && value !== "rsync";
      (hand ? report.hand : report.converted).push(`line ${entry.line}: ${key} = ${value} dropped: ${DROPPED_ENVIRONMENT_KEYS[key]}`);
      out.push(`# ${key} = ${value}  (batou; ${DROPPED_ENVIRONMENT_KEYS[key]})`);
      continue;
    }
    if (key === "timeout") {
      const seconds = Number(value);
      if (Number.isFinite(seconds) && seconds >= TIMEOUT_DEFAULT) {
        out.push(...keyLine(key, seconds, ENVIRONMENT_KEYS.timeout, report, where));
      } else {
        report.converted.push(`line ${entry.line}: timeout = ${value} not carried over: batou's bounds connecting only, this one every remote step (default ${TIMEOUT_DEFAULT} s)`);
        out.push(`# timeout = ${value}  (batou: the SSH connect timeout; here it bounds every remote step, default ${TIMEOUT_DEFAULT})`);
      }
      continue;
    }
    const spec = (ENVIRONMENT_KEYS as Record<string, KeySpec<unknown>>)[key];
    if (!spec) {
      report.converted.push(`line ${entry.line}: ${key} dropped: batou ignores this key`);
      out.push(`# ${key} = ${value}  (ignored by batou; not a key here)`);
      continue;
    }
    let typed: unknown = value;
    if (key === "jobs") typed = Number(value);
    if (key === "target_directory") typed = targetDirectory(value);
    if (key === "require_v4" || key === "require_v6") typed = requirement(value) ?? value;
    out.push(...keyLine(key, typed, spec, report, where));
    if (!report.hand.some((h) => h.startsWith(where))) report.converted.push(`line ${entry.line}: ${key}`);
  }
  return out;
}

interface HostDraft {
  name: string;
  line: number;
  comments: string[];
  components: string[];
  componentComments: string[];
  keys: string[];
  data: string[];
}

function hostComponents(list: string[], host: string, line: number, report: FileReport, known: Set<string>): string[] {
  const out: string[] = [];
  for (const raw of list) {
    const item = raw.trim();
    if (item === "") {
      report.hand.push(`line ${line}: host ${host} lists an empty component name (a stray comma): batou failed on it; dropped`);
      continue;
    }
    const name = item.replace(/^!/, "").split(":")[0];
    if (known.size && !known.has(name)) report.hand.push(`line ${line}: host ${host} names component "${name}", which no component.py defines`);
    out.push(item);
  }
  return out;
}

function hostsSections(doc: IniDocument, report: FileReport, known: Set<string>): { lines: string[]; hosts: string[] } {
  const hosts = new Map<string, HostDraft>();
  const draft = (name: string, line: number, comments: string[]) => {
    let host = hosts.get(name);
    if (!host) hosts.set(name, (host = { name, line, comments, components: [], componentComments: [], keys: [], data: [] }));
    return host;
  };
  const single = doc.sections.find((s) => s.name === "hosts");
  for (const entry of single?.entries ?? []) {
    const name = entry.key.replace(/^!+/, "");
    const host = draft(name, entry.line, entry.comments);
    host.components.push(...hostComponents(asList(entry.value), name, entry.line, report, known));
    if (entry.key.startsWith("!")) host.keys.push("ignore = true");
    report.converted.push(`line ${entry.line}: [hosts] ${entry.key} → [hosts.${name}]`);
  }
  for (const section of doc.sections) {
    if (!section.name.startsWith("host:")) continue;
    const name = section.name.slice("host:".length);
    if (hosts.has(name)) report.hand.push(`line ${section.line}: host ${name} is in [hosts] and has [${section.name}]: batou refused that (DuplicateHostError); merged here`);
    const host = draft(name, section.line, section.comments);
    for (const entry of section.entries) {
      const at = `line ${entry.line}`;
      const comments = commentLines(entry.comments);
      if (entry.key === "components") {
        host.componentComments.push(...comments);
        host.components.push(...hostComponents(asList(entry.value), name, entry.line, report, known));
      } else if (entry.key.startsWith("data-")) {
        host.data.push(...comments, `${tomlKey(entry.key.slice(5))} = ${tomlString(entry.value)}`);
      } else if (entry.key === "ignore") {
        const flag = pythonBool(entry.value);
        if (flag === undefined) report.hand.push(`${at}: ignore = ${entry.value} is not True or False; dropped`);
        else host.keys.push(...comments, `ignore = ${flag}`);
      } else if (entry.key === "platform" || entry.key === "service_user") {
        const spec = (HOST_KEYS as Record<string, KeySpec<unknown>>)[entry.key];
        host.keys.push(...comments, ...keyLine(entry.key, entry.value, spec, report, at));
      } else if (entry.key === "provisioner" || entry.key.startsWith("provision")) {
        report.hand.push(`${at}: ${entry.key} = ${entry.value} dropped: provisioning hosts is not supported here; create the host yourself`);
        host.keys.push(`# ${entry.key} = ${entry.value}  (batou provisioning; not supported here)`);
      } else if (entry.key === "require_sudo") {
        report.converted.push(`${at}: require_sudo dropped: ${DROPPED_ENVIRONMENT_KEYS.require_sudo}`);
        host.keys.push(`# require_sudo = ${entry.value}  (batou; ${DROPPED_ENVIRONMENT_KEYS.require_sudo})`);
      } else {
        report.converted.push(`${at}: ${entry.key} dropped: batou ignores this key of a host`);
        host.keys.push(`# ${entry.key} = ${entry.value}  (ignored by batou)`);
      }
    }
    report.converted.push(`line ${section.line}: [${section.name}] → [hosts.${name}]`);
  }
  const lines: string[] = [];
  for (const host of hosts.values()) {
    lines.push("", ...commentLines(host.comments), `[hosts.${tomlKey(host.name)}]`);
    lines.push(...host.componentComments, `components = ${tomlValue(host.components)}`, ...host.keys);
    if (host.data.length) lines.push("", `[hosts.${tomlKey(host.name)}.data]`, ...host.data);
  }
  return { lines, hosts: [...hosts.keys()] };
}

/** `[component:NAME]` sections as `[components.NAME]`, values typed by the component's attributes. */
export function componentSections(
  sections: { component: string; section: IniSection }[],
  models: Map<string, ClassModel>,
  report: FileReport,
  heading: (component: string) => string,
): string[] {
  const inputs = sections.flatMap(({ component, section }) => section.entries.map((e) => ({ component, key: e.key, text: e.value, entry: e })));
  const results = convertOverrides(inputs, models);
  const lines: string[] = [];
  for (const { component, section } of sections) {
    lines.push("", ...commentLines(section.comments), heading(component));
    for (const entry of section.entries) {
      const n = inputs.findIndex((i) => i.entry === entry);
      const result = results[n];
      const note = result.note ? `line ${entry.line}: [${section.name}] ${entry.key}: ${result.note}` : undefined;
      if (note) (result.hand ? report.hand : report.converted).push(note);
      else report.converted.push(`line ${entry.line}: [${section.name}] ${entry.key}`);
      lines.push(...commentLines(entry.comments), `${tomlKey(entry.key)} = ${tomlValue(result.value)}${result.hand ? "  # TODO(migrate): see the report" : ""}`);
    }
  }
  return lines;
}

function resolverSection(section: IniSection, report: FileReport): string[] {
  const out = ["", ...commentLines(section.comments), "[resolver]"];
  for (const entry of section.entries) {
    const v4: string[] = [];
    const v6: string[] = [];
    for (const ip of entry.value.split("\n").map((x) => x.trim()).filter(Boolean)) {
      if (ip.includes(".")) v4.push(ip);
      else if (ip.includes(":")) v6.push(ip);
      else report.hand.push(`line ${entry.line}: [resolver] ${entry.key}: ${ip} is no IP address (batou refused it); dropped`);
    }
    if (v4.length > 1 || v6.length > 1) {
      report.converted.push(`line ${entry.line}: [resolver] ${entry.key}: several addresses of one family; the last one is kept, as batou did`);
    }
    const addresses = [v4.at(-1), v6.at(-1)].filter((x): x is string => x !== undefined);
    if (addresses.length === 0) continue;
    out.push(...commentLines(entry.comments));
    out.push(...keyLine(tomlKey(entry.key), addresses.length === 1 ? addresses[0] : addresses, RESOLVER_KEYS.NAME, report, `line ${entry.line}`));
  }
  return out;
}

function vfsSection(section: IniSection, report: FileReport): string[] {
  const out = ["", ...commentLines(section.comments), "[vfs]"];
  for (const entry of section.entries) {
    out.push(...commentLines(entry.comments));
    if (entry.key === "sandbox") out.push(...keyLine("sandbox", entry.value, VFS_KEYS.sandbox, report, `line ${entry.line}`));
    else if (entry.key.startsWith("/")) out.push(`${tomlString(entry.key)} = ${tomlString(entry.value)}`);
    else {
      report.converted.push(`line ${entry.line}: [vfs] ${entry.key} dropped: batou ignores it`);
      continue;
    }
    report.converted.push(`line ${entry.line}: [vfs] ${entry.key}`);
  }
  return out;
}

/**
 * Converts one environment. `models` are the component classes by (lower-case)
 * name; `file` names the INI file in report lines.
 */
export function convertEnvironment(doc: IniDocument, models: Map<string, ClassModel>, report: FileReport, file: string): ConvertedEnvironment {
  const lines: string[] = [`# Migrated from ${file} by batou migrate-python.`, ""];
  const environment = doc.sections.find((s) => s.name === "environment");
  lines.push(...environmentSection(environment ?? { name: "environment", line: 0, comments: [], entries: [] }, report));
  if (!environment?.entries.some((e) => e.key === "platform")) {
    const domain = environment?.entries.find((e) => e.key === "host_domain");
    if (domain) {
      lines.push(`platform = ${tomlString(domain.value)}  # batou's default platform: the host_domain`);
      report.converted.push(`line ${domain.line}: platform = ${domain.value} (batou's default: the host_domain)`);
    }
  }
  const hosts = hostsSections(doc, report, new Set(models.keys()));
  lines.push(...hosts.lines);
  const overrides: { component: string; section: IniSection }[] = [];
  for (const section of doc.sections) {
    const name = section.name;
    if (name === "environment" || name === "hosts" || name.startsWith("host:")) continue;
    if (name.startsWith("component:")) {
      const component = name.slice("component:".length);
      if (!models.has(component)) report.hand.push(`line ${section.line}: [${name}]: no component.py defines "${component}" (batou: SuperfluousComponentSection)`);
      overrides.push({ component, section });
    } else if (name === "resolver") lines.push(...resolverSection(section, report));
    else if (name === "vfs") lines.push(...vfsSection(section, report));
    else if (name.startsWith("provisioner:")) {
      report.hand.push(`line ${section.line}: [${name}] dropped: provisioning hosts is not supported here`);
    } else report.hand.push(`line ${section.line}: [${name}] dropped: batou refused this section (SuperfluousSection)`);
  }
  lines.push(...componentSections(overrides, models, report, (c) => `[components.${tomlKey(c)}]`));
  if (doc.sections.some((s) => s.entries.some((e) => e.fromDefault))) {
    report.converted.push("[DEFAULT] keys written into every section, as configparser gave them to batou");
  }
  if (doc.trailingComments.length) lines.push("", ...commentLines(doc.trailingComments));
  for (const entry of doc.sections.flatMap((s) => s.entries)) hashInValue(entry, report);
  return { toml: `${lines.join("\n")}\n`, hosts: hosts.hosts };
}

/** `key = value # text`: configparser keeps ` # text` in the value; say so once per key. */
function hashInValue(entry: IniEntry, report: FileReport): void {
  if (/\s[#;]/.test(entry.value)) {
    report.hand.push(`line ${entry.line}: the value of ${entry.key} contains "${entry.value.match(/\s[#;].*/)![0].trim()}": batou read that as part of the value (no inline comments), and so does this migration`);
  }
}
