/**
 * Reads and validates an environment file (`environments/ENV.toml` or
 * `environments/ENV/environment.toml`) into plain settings. Unknown sections
 * or keys and values of the wrong type are errors naming the file and line.
 *
 * @example
 * ```toml
 * [environment]
 * connect_method = "local"
 * [hosts.localhost]
 * components = ["hello"]
 * ```
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parse, TomlError } from "smol-toml";
import { BatouError, ConfigurationError } from "./errors.ts";

export interface EnvironmentSettings {
  connectMethod: "ssh" | "local";
  hostDomain?: string;
  serviceUser?: string;
  targetDirectory: string;
  platform?: string;
  jobs: number;
  timeout: number;
  branch?: string;
}

export interface HostSettings {
  name: string;
  components: { name: string; ignore: boolean; line?: number }[];
  platform?: string;
  serviceUser?: string;
  ignore: boolean;
  data: Record<string, unknown>;
}

export interface EnvironmentFile {
  name: string;
  /** Path relative to the project root, for messages. */
  file: string;
  /** The folder `environments/ENV/` (secrets live there), if the environment has one. */
  folder?: string;
  settings: EnvironmentSettings;
  hosts: HostSettings[];
  overrides: Record<string, Record<string, unknown>>;
  /** Line of `[components.NAME]` and of hosts, for messages. */
  lineOf: (section: string, key?: string) => number | undefined;
}

/** Every environment of a project, by name. */
export function environmentNames(projectRoot: string): string[] {
  const base = join(projectRoot, "environments");
  if (!existsSync(base)) return [];
  const names = new Set<string>();
  for (const entry of readdirSync(base, { withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith(".toml")) names.add(entry.name.slice(0, -5));
    if (entry.isDirectory() && existsSync(join(base, entry.name, "environment.toml"))) names.add(entry.name);
  }
  return [...names].sort();
}

/** Finds the environment's file; both forms at once, or neither, is an error. */
export function locateEnvironment(projectRoot: string, name: string): { path: string; folder?: string } {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new ConfigurationError(`invalid environment name "${name}"`, { expected: "letters, digits, '.', '_' or '-'" });
  }
  const single = join(projectRoot, "environments", `${name}.toml`);
  const folder = join(projectRoot, "environments", name);
  const nested = join(folder, "environment.toml");
  if (existsSync(single) && existsSync(nested)) {
    throw new ConfigurationError(`environment "${name}" is defined twice`, {
      file: relative(projectRoot, single),
      "other file": relative(projectRoot, nested),
    });
  }
  if (existsSync(nested)) return { path: nested, folder };
  if (existsSync(single)) return { path: single, folder: existsSync(folder) ? folder : undefined };
  const known = environmentNames(projectRoot);
  throw new ConfigurationError(`missing environment "${name}"`, {
    expected: `environments/${name}.toml or environments/${name}/environment.toml`,
    known: known.length ? known.join(", ") : "(none)",
  });
}

type Check = (value: unknown) => string | undefined;
const isString: Check = (v) => (typeof v === "string" ? undefined : "a string");
const isBool: Check = (v) => (typeof v === "boolean" ? undefined : "true or false");
const isPositiveInt: Check = (v) => (Number.isInteger(v) && (v as number) > 0 ? undefined : "a positive integer");
const isPositive: Check = (v) => (typeof v === "number" && v > 0 ? undefined : "a positive number");
const oneOf =
  (...allowed: string[]): Check =>
  (v) => (allowed.includes(v as string) ? undefined : allowed.map((a) => `"${a}"`).join(" or "));
const isTable: Check = (v) => (typeof v === "object" && v !== null && !Array.isArray(v) ? undefined : "a table");
const isStringList: Check = (v) =>
  Array.isArray(v) && v.every((item) => typeof item === "string") ? undefined : "an array of strings";

const ENVIRONMENT_KEYS: Record<string, Check> = {
  connect_method: oneOf("ssh", "local"),
  host_domain: isString,
  service_user: isString,
  target_directory: isString,
  platform: isString,
  jobs: isPositiveInt,
  timeout: isPositive,
  branch: isString,
};

const HOST_KEYS: Record<string, Check> = {
  components: isStringList,
  platform: isString,
  service_user: isString,
  ignore: isBool,
  data: isTable,
};

/** Parses and validates the environment file; collects every problem it finds. */
export function readEnvironmentFile(projectRoot: string, name: string): EnvironmentFile {
  const { path, folder } = locateEnvironment(projectRoot, name);
  const file = relative(projectRoot, path);
  const source = readFileSync(path, "utf8");
  let doc: Record<string, unknown>;
  try {
    doc = parse(source) as Record<string, unknown>;
  } catch (error) {
    const e = error as TomlError;
    throw new ConfigurationError(`TOML syntax error: ${e.message.split("\n")[0]}`, { file, line: e.line });
  }
  const lineOf = makeLineFinder(source);
  const errors: BatouError[] = [];
  const fail = (message: string, section: string, key?: string, extra: Record<string, string> = {}) =>
    errors.push(new ConfigurationError(message, { file, line: lineOf(section, key), ...extra }));

  for (const section of Object.keys(doc)) {
    if (!["environment", "hosts", "components"].includes(section)) {
      fail(`unknown section [${section}]`, section, undefined, { expected: "[environment], [hosts.NAME], [components.NAME]" });
    }
  }
  const env = (doc.environment ?? {}) as Record<string, unknown>;
  checkKeys(env, ENVIRONMENT_KEYS, "environment", fail);

  const hosts: HostSettings[] = [];
  for (const [hostName, raw] of Object.entries((doc.hosts ?? {}) as Record<string, unknown>)) {
    const section = `hosts.${hostName}`;
    if (isTable(raw)) {
      fail(`host "${hostName}" must be a table`, "hosts", hostName);
      continue;
    }
    const host = raw as Record<string, unknown>;
    checkKeys(host, HOST_KEYS, section, fail);
    const components = new Map<string, { name: string; ignore: boolean; line?: number }>();
    for (const entry of Array.isArray(host.components) ? (host.components as string[]) : []) {
      const ignore = entry.startsWith("!");
      const componentName = (ignore ? entry.slice(1) : entry).trim().toLowerCase();
      if (!componentName) {
        fail(`empty component name in the host "${hostName}"`, section, "components");
        continue;
      }
      const seen = components.get(componentName);
      components.set(componentName, { name: componentName, ignore: ignore || (seen?.ignore ?? false), line: lineOf(section, "components") });
    }
    hosts.push({
      name: hostName,
      components: [...components.values()],
      platform: typeof host.platform === "string" ? host.platform : undefined,
      serviceUser: typeof host.service_user === "string" ? host.service_user : undefined,
      ignore: host.ignore === true,
      data: isTable(host.data) ? {} : { ...(host.data as Record<string, unknown>) },
    });
  }
  const overrides: Record<string, Record<string, unknown>> = {};
  for (const [componentName, values] of Object.entries((doc.components ?? {}) as Record<string, unknown>)) {
    if (isTable(values)) fail(`[components.${componentName}] must be a table`, "components", componentName);
    else overrides[componentName.toLowerCase()] = values as Record<string, unknown>;
  }
  if (errors.length > 0) throw new ConfigurationErrors(errors);
  return {
    name,
    file,
    folder,
    settings: {
      connectMethod: (env.connect_method as "ssh" | "local") ?? "ssh",
      hostDomain: env.host_domain as string | undefined,
      serviceUser: env.service_user as string | undefined,
      targetDirectory: (env.target_directory as string | undefined) ?? "deployment",
      platform: env.platform as string | undefined,
      jobs: (env.jobs as number | undefined) ?? 1,
      timeout: (env.timeout as number | undefined) ?? 30,
      branch: env.branch as string | undefined,
    },
    hosts,
    overrides,
    lineOf,
  };
}

function checkKeys(
  table: Record<string, unknown>,
  schema: Record<string, Check>,
  section: string,
  fail: (message: string, section: string, key?: string, extra?: Record<string, string>) => void,
): void {
  for (const [key, value] of Object.entries(table)) {
    const check = schema[key];
    if (!check) {
      fail(`unknown key "${key}" in [${section}]`, section, key, { expected: Object.keys(schema).join(", ") });
      continue;
    }
    const expected = check(value);
    if (expected) fail(`[${section}] ${key} must be ${expected}`, section, key, { given: JSON.stringify(value) });
  }
}

/** Several problems found at once; the CLI prints each. */
export class ConfigurationErrors extends Error {
  constructor(readonly errors: BatouError[]) {
    super(errors.map((e) => e.message).join("; "));
  }
}

/**
 * Finds the line of `[section]` (or `[a.b]`) and of `key` inside it. TOML
 * parsers do not report positions of keys, so this scans the text.
 */
function makeLineFinder(source: string): (section: string, key?: string) => number | undefined {
  const lines = source.split("\n");
  const norm = (s: string) => s.replace(/["'\s]/g, "");
  return (section, key) => {
    let inSection = section === "";
    let sectionLine: number | undefined;
    for (let i = 0; i < lines.length; i++) {
      const header = lines[i]!.match(/^\s*\[{1,2}([^\]]+)\]{1,2}/);
      if (header) {
        inSection = norm(header[1]!) === norm(section);
        if (inSection && sectionLine === undefined) sectionLine = i + 1;
        continue;
      }
      if (inSection && key !== undefined) {
        const match = lines[i]!.match(/^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*=/);
        if (match && norm(match[1]!) === norm(key)) return i + 1;
      }
    }
    return sectionLine;
  };
}
