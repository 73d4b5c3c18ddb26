/**
 * The cleartext of `secrets.toml.nacl`: TOML with only `[components.NAME]` override
 * tables and `[hosts.NAME.data]` tables, e.g.
 *
 * ```toml
 * [components.app]
 * db_password = "s3cret"
 *
 * [hosts.web1.data]
 * root_password = "t0psecret"
 * ```
 */
import { parse, TomlError } from "smol-toml";
import { MIN_SECRET_LENGTH } from "../engine/diff.ts";
import { SecretsError } from "./secrets-error.ts";

/** Parsed and checked secrets cleartext. */
export interface SecretsDocument {
  components: Record<string, Record<string, unknown>>;
  hosts: Record<string, { data: Record<string, unknown> }>;
}

/** A TOML syntax error in secrets cleartext, with its 1-based line. */
export class SecretsSyntaxError extends SecretsError {
  override name = "SecretsSyntaxError";
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

/** Template shown when a new secrets.toml is edited. */
export function newSecretsTemplate(env: string): string {
  return [
    `# Secrets of environment "${env}": TOML with the environment's shape.`,
    "# Only these tables are allowed (a key set here and in the environment is an error):",
    "#",
    "# [components.myapp]        # overrides of component attributes",
    '# db_password = "s3cret"',
    "#",
    "# [hosts.web1.data]         # host.data of a host",
    '# root_password = "s3cret"',
    "",
  ].join("\n");
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/**
 * Parses and checks secrets cleartext. `file` names it in errors; syntax errors are a
 * {@link SecretsSyntaxError} with the line, anything but the two allowed table kinds
 * is an error naming the offending key.
 */
export function parseSecretsToml(text: string, file: string): SecretsDocument {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text);
  } catch (error) {
    if (error instanceof TomlError) {
      const what = error.message.replace(/^Invalid TOML document: /, "").split("\n")[0];
      throw new SecretsSyntaxError(`${file}:${error.line}:${error.column}: invalid TOML: ${what}`, error.line);
    }
    throw error;
  }
  const allowed = "only [components.NAME] and [hosts.NAME.data] tables are allowed";
  // Null-prototype maps: "__proto__" or "constructor" are names like any other here.
  const result: SecretsDocument = { components: Object.create(null), hosts: Object.create(null) };
  for (const [key, value] of Object.entries(doc)) {
    if (key === "components") {
      if (!isTable(value)) throw new SecretsError(`${file}: "components" must be a table; ${allowed}`);
      for (const [name, overrides] of Object.entries(value)) {
        if (!isTable(overrides)) {
          throw new SecretsError(`${file}: "components.${name}" must be a table of overrides, [components.${name}]`);
        }
        result.components[name] = overrides;
      }
    } else if (key === "hosts") {
      if (!isTable(value)) throw new SecretsError(`${file}: "hosts" must be a table; ${allowed}`);
      for (const [host, section] of Object.entries(value)) {
        if (!isTable(section)) throw new SecretsError(`${file}: "hosts.${host}" must be a table; ${allowed}`);
        for (const [sub, data] of Object.entries(section)) {
          if (sub !== "data") {
            throw new SecretsError(`${file}: unexpected key "hosts.${host}.${sub}": secrets may only set [hosts.${host}.data]`);
          }
          if (!isTable(data)) throw new SecretsError(`${file}: "hosts.${host}.data" must be a table`);
        }
        result.hosts[host] = { data: (section.data as Record<string, unknown>) ?? Object.create(null) };
      }
    } else {
      throw new SecretsError(`${file}: unexpected key "${key}"; ${allowed}`);
    }
  }
  return result;
}

/**
 * Every secret value inside `value` as the text it shows up as in output: strings (and
 * each line of a multi-line string), numbers and booleans (`123456`, `true`), through
 * nested arrays and tables. These are masked in output and hide the diffs they are in.
 */
export function collectSecretValues(value: unknown, into: Set<string>): void {
  if (typeof value === "string") {
    if (value.trim()) into.add(value);
    if (value.includes("\n")) for (const line of value.split(/\r?\n/)) if (line.trim()) into.add(line);
  } else if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") {
    into.add(String(value));
  } else if (Array.isArray(value)) {
    for (const item of value) collectSecretValues(item, into);
  } else if (isTable(value)) {
    for (const item of Object.values(value)) collectSecretValues(item, into);
  }
}

/**
 * Secret values that output masking cannot protect well, as warnings naming where they
 * are (never the value): values shorter than {@link MIN_SECRET_LENGTH} characters are not
 * masked at all, and `true`/`false` are masked wherever those words appear in output.
 */
export function weakSecretValues(doc: SecretsDocument): string[] {
  const warnings: string[] = [];
  const visit = (value: unknown, path: string) => {
    if (typeof value === "boolean") {
      warnings.push(`${path} is a boolean: batou masks every "${value}" in its output and hides every diff containing it`);
    } else if (typeof value === "string" || typeof value === "number" || typeof value === "bigint") {
      const length = String(value).trim().length;
      if (length > 0 && length < MIN_SECRET_LENGTH) {
        warnings.push(`${path} is only ${length} character(s) long: values shorter than ${MIN_SECRET_LENGTH} are not masked in output`);
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, `${path}[${index}]`));
    } else if (isTable(value)) {
      for (const [key, item] of Object.entries(value)) visit(item, `${path}.${key}`);
    }
  };
  for (const [name, overrides] of Object.entries(doc.components)) visit(overrides, `components.${name}`);
  for (const [name, host] of Object.entries(doc.hosts)) visit(host.data, `hosts.${name}.data`);
  return warnings;
}
