/**
 * `JSONContent` and `YAMLContent`: a file holding structured data, written
 * with a stable (sorted) key order so equal data always gives equal bytes.
 * `data` is deep-merged over the data of a `source` file when one is given,
 * then `override` over the result (objects merge key by key; arrays and other
 * values replace). The file is written through `Content`, so a change shows a
 * unified diff (never for `sensitive` data) and is atomic.
 *
 * @example
 * ```ts
 * this.add(new JSONContent("config.json", { data: { port: 8080, debug: false } }));
 * this.add(new YAMLContent("app.yaml", { source: "app-defaults.yaml", data: { workers: 4 } }));
 * ```
 */
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import YAML from "yaml";
import { Component, ConfigurationError } from "../batou-core.ts";
import { Content } from "./file.ts";

export interface StructuredContentOptions {
  /** The data to write (merged over `source`'s data). */
  data?: unknown;
  /** A JSON/YAML file next to component.ts (or absolute) with base data. */
  source?: string;
  /** Merged over everything else, last. */
  override?: unknown;
  sensitive?: boolean;
  mode?: number | string;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Deep merge: objects merge by key, anything else in `over` replaces `base`. */
export function mergeData(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(over)) return structuredClone(over);
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) result[key] = key in base ? mergeData(base[key], value) : structuredClone(value);
  return result;
}

/** A copy of `value` with every object's keys in sorted order (`undefined` values dropped). */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isPlainObject(value)) return value;
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) if (value[key] !== undefined) result[key] = sortKeys(value[key]);
  return result;
}

abstract class StructuredContent extends Component {
  static override namevar = "path";
  path = "";
  data: unknown = undefined;
  source: string | undefined = undefined;
  override: unknown = undefined;
  /** Never show a diff of this file. */
  sensitive = false;
  /** Mode of a newly created file. */
  mode: number | string | undefined = undefined;

  /** The format's name, for messages. */
  static format = "";
  protected abstract parse(text: string): unknown;
  protected abstract serialize(data: unknown): string;

  /** The merged data, keys sorted. */
  get merged(): unknown {
    let base: unknown = undefined;
    if (this.source !== undefined) {
      const file = isAbsolute(this.source) ? this.source : join(this.defdir, this.source);
      if (!existsSync(file)) throw new ConfigurationError(`source file not found: ${file}`, { component: this.breadcrumbs });
      try {
        base = this.parse(readFileSync(file, "utf8"));
      } catch (error) {
        throw new ConfigurationError(`source file is not valid ${(this.constructor as typeof StructuredContent).format}: ${(error as Error).message}`, {
          component: this.breadcrumbs,
          file,
        });
      }
    } else if (this.data === undefined) {
      throw new ConfigurationError(`${this.constructor.name}('${this.path}') needs data or a source`, { component: this.breadcrumbs });
    }
    return sortKeys(mergeData(mergeData(base, this.data), this.override));
  }

  override configure(): void {
    let text: string;
    try {
      text = this.serialize(this.merged);
    } catch (error) {
      if (error instanceof ConfigurationError) throw error;
      throw new ConfigurationError(`cannot write the data as ${(this.constructor as typeof StructuredContent).format}: ${(error as Error).message}`, { component: this.breadcrumbs });
    }
    this.add(new Content(this.map(this.path), { data: text, sensitive: this.sensitive, mode: this.mode }));
  }
}

export class JSONContent extends StructuredContent {
  static override format = "JSON";
  /** Indentation; 0 writes one compact line. */
  indent = 4;

  constructor(path: string, options: StructuredContentOptions & { indent?: number } = {}) {
    super(path, options);
  }

  protected parse(text: string): unknown {
    return JSON.parse(text);
  }

  protected serialize(data: unknown): string {
    const text = JSON.stringify(data, null, this.indent || undefined);
    if (text === undefined) throw new Error("the data is undefined");
    return text + "\n";
  }
}

export class YAMLContent extends StructuredContent {
  static override format = "YAML";

  constructor(path: string, options: StructuredContentOptions = {}) {
    super(path, options);
  }

  protected parse(text: string): unknown {
    return YAML.parse(text); // YAML 1.2: `yes` stays a string
  }

  protected serialize(data: unknown): string {
    return YAML.stringify(data, { sortMapEntries: true, aliasDuplicateObjects: false, version: "1.1" });
  }
}
