/**
 * Reads an environment file (`environments/ENV.toml` or
 * `environments/ENV/environment.toml`) into plain settings, checked against
 * the schema (environment-schema.ts). Every problem is collected with its file
 * and line; the file is read as far as it can be, so one run reports them all.
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
import {
  defaultSettings,
  ENVIRONMENT_KEYS,
  type EnvironmentSettings,
  HOST_KEYS,
  type HostComponent,
  type HostSettings,
  isTable,
  type KeySpec,
  RESOLVER_KEYS,
  SECTIONS,
  VFS_KEYS,
  type VfsSettings,
} from "./environment-schema.ts";
import { checkData, lineFinder, type LineOf, tomlSyntaxError, utf8OrError } from "./toml-input.ts";

export type { EnvironmentSettings, HostSettings, HostComponent, VfsSettings } from "./environment-schema.ts";

export interface EnvironmentFile {
  name: string;
  /** Path relative to the project root, for messages. */
  file: string;
  /** The folder `environments/ENV/` (secrets live there), if the environment has one. */
  folder?: string;
  settings: EnvironmentSettings;
  hosts: HostSettings[];
  /** `[components.NAME]` by lower-cased NAME (null-prototype records). */
  overrides: Record<string, Record<string, unknown>>;
  /** `[resolver]`: name → its addresses (one per family). */
  resolver: Record<string, string[]>;
  vfs?: VfsSettings;
  /** Line of `[section]` or of `key` inside it, for messages. */
  lineOf: LineOf;
  /** Every problem found; the other fields hold what could be read. */
  errors: BatouError[];
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

/** Locates and reads the environment file. A missing environment throws; every other problem is in `errors`. */
export function readEnvironmentFile(projectRoot: string, name: string): EnvironmentFile {
  const { path, folder } = locateEnvironment(projectRoot, name);
  return parseEnvironmentFile(name, relative(projectRoot, path), readFileSync(path), folder);
}

type Fail = (message: string, section: string, key?: string, extra?: Record<string, string>) => void;

/** Checks and reads the bytes of an environment file (pure: no file system). */
export function parseEnvironmentFile(name: string, file: string, bytes: Uint8Array, folder?: string): EnvironmentFile {
  const result: EnvironmentFile = {
    name,
    file,
    folder,
    settings: defaultSettings(),
    hosts: [],
    overrides: Object.create(null),
    resolver: Object.create(null),
    lineOf: () => undefined,
    errors: [],
  };
  const source = utf8OrError(bytes, file);
  if (source instanceof BatouError) {
    result.errors.push(source);
    return result;
  }
  let doc: Record<string, unknown>;
  try {
    doc = parse(source) as Record<string, unknown>;
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    result.errors.push(tomlSyntaxError(error, source, file));
    return result;
  }
  const lineOf = (result.lineOf = lineFinder(source));
  const fail: Fail = (message, section, key, extra = {}) =>
    result.errors.push(new ConfigurationError(message, { file, line: lineOf(section, key), ...extra }));

  const known = ["environment", "hosts", "components", "resolver", "vfs"];
  for (const section of Object.keys(doc)) {
    if (!known.includes(section)) {
      fail(`unknown section [${section}]`, section, undefined, { expected: Object.keys(SECTIONS).map((s) => `[${s}]`).join(", ") });
    } else if (!isTable(doc[section])) {
      fail(`${section} must be a table ([${section}])`, "", section);
    }
  }
  const section = (name: string): Record<string, unknown> => (isTable(doc[name]) ? doc[name] : Object.create(null));

  Object.assign(result.settings, readKeys(section("environment"), ENVIRONMENT_KEYS, "environment", fail));
  checkExec(section("environment"), result.settings.connectMethod, fail);
  for (const [hostName, raw] of Object.entries(section("hosts"))) {
    const host = readHost(hostName, raw, lineOf, fail);
    if (host) result.hosts.push(host);
  }
  for (const [componentName, values] of Object.entries(section("components"))) {
    const where = `components.${componentName}`;
    if (!isTable(values)) {
      fail(`[components.${componentName}] must be a table`, "components", componentName);
      continue;
    }
    const problem = checkData(values);
    if (problem) {
      fail(`[${where}] ${problem.path} ${problem.problem}`, where, problem.path.split(/[.[]/)[0]);
      continue;
    }
    const lower = componentName.toLowerCase();
    if (Object.hasOwn(result.overrides, lower)) {
      fail(`[components.${componentName}] is given twice (component names ignore case)`, where);
      continue;
    }
    result.overrides[lower] = values;
  }
  result.resolver = readResolver(section("resolver"), fail);
  if (Object.hasOwn(doc, "vfs")) result.vfs = readVfs(section("vfs"), fail);
  return result;
}

/** Checks `table` against `schema` and returns the values by their settings names. */
function readKeys(
  table: Record<string, unknown>,
  schema: Record<string, KeySpec<unknown> & { prop?: string }>,
  section: string,
  fail: Fail,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(table)) {
    const spec = Object.hasOwn(schema, key) ? schema[key] : undefined;
    if (!spec) {
      fail(`unknown key "${key}" in [${section}]`, section, key, { expected: Object.keys(schema).join(", ") });
      continue;
    }
    if (spec.planned) {
      fail(`[${section}] ${key} is not implemented yet`, section, key, { hint: "see docs/environments.md" });
      continue;
    }
    const checked = spec.type.check(value);
    if ("problem" in checked) {
      fail(`[${section}] ${key} ${checked.problem}`, section, key, { given: shown(value) });
      continue;
    }
    values[spec.prop ?? key] = checked.value;
  }
  return values;
}

/** `exec` is given exactly when `connect_method = "exec"` (an invalid connect_method is reported already). */
function checkExec(given: Record<string, unknown>, connectMethod: string, fail: Fail): void {
  if (given.connect_method !== undefined && given.connect_method !== connectMethod) return;
  const hasExec = Object.hasOwn(given, "exec");
  if (connectMethod === "exec" && !hasExec) {
    fail('[environment] connect_method = "exec" needs the exec command', "environment", "connect_method", { example: 'exec = ["podman", "exec", "-i", "{host}"]' });
  } else if (hasExec && connectMethod !== "exec") {
    fail(`[environment] exec is only used with connect_method = "exec" (connect_method is "${connectMethod}")`, "environment", "exec");
  }
}

/** A value as the user wrote it, for messages. */
function shown(value: unknown): string {
  if (typeof value === "number" && !Number.isFinite(value)) return String(value).replace("Infinity", "inf").replace("NaN", "nan");
  if (value instanceof Date) return "a date";
  return JSON.stringify(value) ?? String(value);
}

/** Component names are lower-cased class names. */
const COMPONENT_NAME = /^[a-z_$][a-z0-9_$]*$/;

function readHost(hostName: string, raw: unknown, lineOf: LineOf, fail: Fail): HostSettings | undefined {
  const section = `hosts.${hostName}`;
  if (!isTable(raw)) {
    fail(`host "${hostName}" must be a table ([hosts.${hostName}])`, "hosts", hostName);
    return undefined;
  }
  const values = readKeys(raw, HOST_KEYS, section, fail) as Partial<HostSettings> & { components?: string[] };
  const data = values.data ?? Object.create(null);
  const problem = checkData(data);
  if (problem) {
    const key = problem.path.split(/[.[]/)[0];
    const inSubTable = lineOf(`${section}.data`, key) !== lineOf(`${section}.data`);
    fail(`[${section}] data.${problem.path} ${problem.problem}`, inSubTable ? `${section}.data` : section, inSubTable ? key : "data");
  }
  const components = new Map<string, HostComponent>();
  for (const entry of values.components ?? []) {
    const ignore = entry.startsWith("!");
    const [rawName = "", ...features] = (ignore ? entry.slice(1) : entry).split(":").map((part) => part.trim());
    const componentName = rawName.toLowerCase();
    if (!COMPONENT_NAME.test(componentName) || features.some((feature) => feature === "")) {
      fail(`[${section}] components: ${JSON.stringify(entry)} is not a component entry`, section, "components", {
        expected: '"name", "!name" or "name:feature"',
      });
      continue;
    }
    const seen = components.get(componentName);
    components.set(componentName, {
      name: componentName,
      ignore: ignore || (seen?.ignore ?? false),
      features: [...(seen?.features ?? []), ...features],
      line: lineOf(section, "components"),
    });
  }
  return {
    name: hostName,
    components: [...components.values()],
    platform: values.platform,
    serviceUser: values.serviceUser,
    sshClient: values.sshClient,
    ignore: values.ignore ?? false,
    data: problem ? Object.create(null) : data,
  };
}

function readResolver(table: Record<string, unknown>, fail: Fail): Record<string, string[]> {
  const result: Record<string, string[]> = Object.create(null);
  for (const [name, value] of Object.entries(table)) {
    const checked = RESOLVER_KEYS.NAME.type.check(value);
    if ("problem" in checked) fail(`[resolver] "${name}" ${checked.problem}`, "resolver", name, { given: shown(value) });
    else result[name] = checked.value;
  }
  return result;
}

function readVfs(table: Record<string, unknown>, fail: Fail): VfsSettings | undefined {
  const sandbox = VFS_KEYS.sandbox.type.check(table.sandbox);
  if ("problem" in sandbox) {
    fail(`[vfs] sandbox ${sandbox.problem}`, "vfs", "sandbox", { given: shown(table.sandbox) });
    return undefined;
  }
  const rules: [string, string][] = [];
  let ok = true;
  for (const [key, value] of Object.entries(table)) {
    if (key === "sandbox") continue;
    if (sandbox.value === "Developer" || !key.startsWith("/")) {
      fail(`unknown key "${key}" in [vfs]`, "vfs", key, {
        expected: sandbox.value === "Developer" ? "sandbox" : 'sandbox and "/PREFIX" = "/replacement" rules',
      });
      ok = false;
      continue;
    }
    if (typeof value !== "string" || !value.startsWith("/")) {
      fail(`[vfs] "${key}" must be an absolute path`, "vfs", key, { given: shown(value) });
      ok = false;
      continue;
    }
    rules.push([key, value]);
  }
  if (!ok) return undefined;
  return sandbox.value === "Developer" ? { sandbox: "Developer" } : { sandbox: "Map", rules };
}
