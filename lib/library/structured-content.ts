import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { ConfigurationError } from "../batou-core.ts";
import { ManagedContent } from "./content.ts";

/** The yaml library, loaded on first use: its modules cost every agent's start ~4 ms, also where no YAML file is managed. */
let yamlModule: typeof import("yaml") | undefined;
const YAML = () => (yamlModule ??= require("yaml") as typeof import("yaml"));

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

/**
 * The base of `JSONContent` and `YAMLContent`: a file holding structured
 * data, written with a stable (sorted) key order so equal data always gives
 * equal bytes. `data` is deep-merged over the data of a `source` file, then
 * `override` over the result (objects merge key by key; arrays and other
 * values replace). Without `data` and `source`, the file of the same name next
 * to component.ts is the source. A source that does not exist yet when
 * configuring (an earlier component writes it) is read when deploying; `-P`
 * then says the file would change.
 */
export abstract class StructuredContent extends ManagedContent {
  /** The data to write (merged over `source`'s data). */
  data: unknown = undefined;
  /** A file next to component.ts (or absolute) with base data. */
  source: string | undefined = undefined;
  /** Merged over everything else, last. */
  override: unknown = undefined;

  /** The format's name, for messages. */
  static readonly format: string = "";
  protected abstract parse(text: string): unknown;
  protected abstract serialize(data: unknown): string;

  /** The absolute source file, if there is one (given, or next to component.ts with the target's name). */
  #source?: string;
  /** The serialized bytes, once the source could be read. */
  #bytes?: Uint8Array;

  /** The source file: given, or implicit (the target's name next to component.ts, when it exists). */
  private sourceFile(): string | undefined {
    const absolute = (path: string) => (isAbsolute(path) ? path : join(this.defdir, path));
    if (this.source !== undefined) return absolute(this.source);
    if (this.data !== undefined || isAbsolute(this.path)) return undefined;
    const implicit = absolute(this.path);
    if (existsSync(implicit)) return implicit;
    throw new ConfigurationError(`${this.constructor.name}('${this.path}') needs data or a source`, {
      component: this.breadcrumbs,
      hint: `or put a file ${this.path} next to component.ts`,
    });
  }

  override configure(): void {
    this.#source = this.sourceFile();
    super.configure();
    this.#bytes = this.#source === undefined || existsSync(this.#source) ? this.render() : undefined;
  }

  protected override pendingSource(): string {
    return this.#source!;
  }

  protected wanted(): Uint8Array | undefined {
    if (this.#bytes === undefined && existsSync(this.#source!)) this.#bytes = this.render();
    return this.#bytes;
  }

  private formatName(): string {
    return (this.constructor as typeof StructuredContent).format;
  }

  /** The merged data, serialized. */
  private render(): Uint8Array {
    let base: unknown = undefined;
    if (this.#source !== undefined) {
      try {
        base = this.parse(readFileSync(this.#source, "utf8"));
      } catch (error) {
        throw new ConfigurationError(`source file is not valid ${this.formatName()}: ${(error as Error).message}`, {
          component: this.breadcrumbs,
          file: this.#source,
        });
      }
    }
    let text: string;
    try {
      text = this.serialize(sortKeys(mergeData(mergeData(base, this.data), this.override)));
    } catch (error) {
      throw new ConfigurationError(`cannot write the data as ${this.formatName()}: ${(error as Error).message}`, { component: this.breadcrumbs });
    }
    return new TextEncoder().encode(text);
  }
}

/**
 * `JSONContent`: a JSON file (see `StructuredContent`): sorted keys, 4-space
 * indentation (`indent: 0` for one line), a trailing newline.
 *
 * @example
 * ```ts
 * this.add(new JSONContent("config.json", { data: { port: 8080, debug: false } }));
 * ```
 */
export class JSONContent extends StructuredContent {
  /** Indentation; 0 writes one compact line. */
  indent = 4;
  static override readonly format = "JSON";

  constructor(path: string, options: JSONContentOptions = {}) {
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

/**
 * `YAMLContent`: a YAML file (see `StructuredContent`): sorted keys, block
 * style; strings that a YAML 1.1 reader would take for something else
 * (`"yes"`, `"123"`) are quoted.
 *
 * @example
 * ```ts
 * this.add(new YAMLContent("app.yaml", { source: "app-defaults.yaml", data: { workers: 4 } }));
 * ```
 */
export class YAMLContent extends StructuredContent {
  static override readonly format = "YAML";

  constructor(path: string, options: StructuredContentOptions = {}) {
    super(path, options);
  }

  protected parse(text: string): unknown {
    return YAML().parse(text); // YAML 1.2: `yes` stays a string
  }

  protected serialize(data: unknown): string {
    return YAML().stringify(data, { sortMapEntries: true, aliasDuplicateObjects: false, version: "1.1" });
  }
}

/** The options of `JSONContent` and `YAMLContent` (each documented on its field). */
export type StructuredContentOptions = Partial<Pick<StructuredContent, "data" | "source" | "override" | "sensitive" | "mode">>;

/** The options of `JSONContent`: those of `StructuredContent`, and `indent`. */
export type JSONContentOptions = StructuredContentOptions & Partial<Pick<JSONContent, "indent">>;
