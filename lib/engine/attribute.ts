/**
 * Declared attributes (batou's `Attribute`): a field that says how an
 * override from the environment or the secrets becomes its value.
 *
 * ```ts
 * import { Address, attribute, Component } from "batou";
 *
 * export class App extends Component {
 *   port = attribute("integer", { default: 8080 });
 *   ratio = attribute("float", { default: 1 });                     // a number; templates print it 1.0
 *   hosts = attribute("list", { default: [] as string[] });        // "a, b," → ["a", "b"]
 *   listen = attribute(Address, { defaultText: "localhost:8080" }); // converted when read
 *   greeting = attribute("string", { default: "hello" });           // "Hi {{ host.name }}" is expanded
 *   password = attribute("string", { expand: false });              // required: an error when read unset
 *   logs = attribute("string", { defaultText: "logs", map: true }); // mapped like a path: work/app/logs
 * }
 * ```
 *
 * An override string is (1) rendered as a template in the component's context
 * unless `expand: false`, (2) mapped like a path with `map: true`, (3)
 * converted. A TOML value that already has the conversion's type (a number for
 * "integer", an array for "list", anything for "literal") is taken as it is.
 * `default` is used as given; `defaultText` is treated like an override, when
 * first read. Constructor options are assigned as given. Without either
 * default, reading the attribute before anything set it is an error naming it.
 */
import { parse } from "smol-toml";
import { isFiniteNumber, isTable } from "./environment-schema.ts";
import { checkData } from "./toml-input.ts";

/** The built-in conversions. */
export type ConversionName = "string" | "number" | "integer" | "float" | "boolean" | "list" | "literal";

/** A conversion: a built-in name, a class constructed from the text (e.g. `Address`), or a function of the text. */
export type Conversion<T> = ConversionName | (new (text: string) => T) | ((text: string) => T);

export interface AttributeOptions<T> {
  /** The value when nothing sets it, used as given. */
  default?: T;
  /** A default written like an override: expanded, mapped and converted when first read. */
  defaultText?: string;
  /** Render override strings as templates in the component's context (default `true`). */
  expand?: boolean;
  /** Map the string like a path (`~`, relative to the workdir, `[vfs]`) before converting (default `false`). */
  map?: boolean;
}

/** What `attribute()` puts into a field until the component is added; the engine replaces it. */
export class AttributeSpec<T = unknown> {
  constructor(
    readonly conversion: Conversion<T>,
    readonly options: AttributeOptions<T>,
  ) {}

  /** The conversion as errors name it: `integer`, `Address`, `parsePort`. */
  get conversionName(): string {
    return typeof this.conversion === "string" ? this.conversion : this.conversion.name || "function";
  }

  get hasDefault(): boolean {
    return Object.hasOwn(this.options, "default") || this.options.defaultText !== undefined;
  }
}

/**
 * Declares an attribute with a conversion. The field's type is the
 * conversion's result; see the module docs for what happens to overrides.
 */
export function attribute(conversion: "string", options?: AttributeOptions<string>): string;
export function attribute(conversion: "number" | "integer" | "float", options?: AttributeOptions<number>): number;
export function attribute(conversion: "boolean", options?: AttributeOptions<boolean>): boolean;
export function attribute(conversion: "list", options?: AttributeOptions<string[]>): string[];
export function attribute<T = unknown>(conversion: "literal", options?: AttributeOptions<T>): T;
export function attribute<T>(conversion: new (text: string) => T, options?: AttributeOptions<T>): T;
export function attribute<T>(conversion: (text: string) => T, options?: AttributeOptions<T>): T;
export function attribute<T>(conversion: Conversion<T>, options: AttributeOptions<T> = {}): T {
  return new AttributeSpec(conversion, options) as unknown as T;
}

/** A decimal number as text: `8080`, `-1.5`, `1e3`; not `0x1F`, `Infinity`, `""`. */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** `text` as a number when it is a decimal number, else undefined. */
export function decimal(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DECIMAL.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

/** `true`/`false` in any case, else undefined. */
export function booleanText(text: string): boolean | undefined {
  const lower = text.trim().toLowerCase();
  return lower === "true" ? true : lower === "false" ? false : undefined;
}

/** A literal from text: JSON, a TOML value, or Python's `True`, `False`, `None` (for ported projects). */
export function parseLiteral(text: string): { value: unknown } | { problem: string } {
  const trimmed = text.trim();
  if (trimmed === "True" || trimmed === "False") return { value: trimmed === "True" };
  if (trimmed === "None") return { value: null };
  try {
    return { value: JSON.parse(trimmed) };
  } catch {
    // not JSON; TOML value syntax next ('single quotes', inline tables, ...)
  }
  try {
    const value = (parse(`value = ${trimmed}`) as { value: unknown }).value;
    const problem = checkData(value);
    return problem ? { problem: `${problem.path || "it"} ${problem.problem}` } : { value };
  } catch {
    return { problem: "not a literal (JSON, a TOML value, True, False or None)" };
  }
}

/** `true` when `conversion` is a class (constructed with `new`) rather than a function. */
function isClass(conversion: Function): boolean {
  return /^class[\s{]/.test(Function.prototype.toString.call(conversion));
}

/**
 * Converts `value` (already expanded and mapped) with `conversion`: the
 * converted value, or what is wrong with it.
 */
export function convert<T>(conversion: Conversion<T>, value: unknown): { value: T } | { problem: string } {
  const ok = (v: unknown) => ({ value: v as T });
  const text = typeof value === "string" ? value : undefined;
  switch (conversion) {
    case "string":
      if (text !== undefined) return ok(text);
      return isFiniteNumber(value) || typeof value === "boolean" ? ok(String(value)) : { problem: "not a string" };
    case "number":
    case "float": {
      if (isFiniteNumber(value)) return ok(value);
      const n = text === undefined ? undefined : decimal(text);
      return n === undefined ? { problem: "not a number" } : ok(n);
    }
    case "integer": {
      if (Number.isSafeInteger(value)) return ok(value);
      const n = text === undefined ? undefined : decimal(text);
      return n === undefined || !Number.isSafeInteger(n) ? { problem: "not an integer" } : ok(n);
    }
    case "boolean": {
      if (typeof value === "boolean") return ok(value);
      const b = text === undefined ? undefined : booleanText(text);
      return b === undefined ? { problem: "not true or false" } : ok(b);
    }
    case "list":
      if (Array.isArray(value) && value.every((item) => typeof item === "string")) return ok(value);
      if (text === undefined) return { problem: "not a list (a string \"a, b\" or an array of strings)" };
      return ok(
        text
          .split(",")
          .map((item) => item.trim())
          .filter((item) => item !== ""),
      );
    case "literal":
      return text === undefined ? ok(value) : (parseLiteral(text) as { value: T } | { problem: string });
  }
  if (typeof conversion !== "function") return { problem: `unknown conversion ${JSON.stringify(conversion)}` };
  if (text === undefined && !(isFiniteNumber(value) || typeof value === "boolean")) {
    return { problem: Array.isArray(value) || isTable(value) ? "not a string (an array or table was given)" : "not a string" };
  }
  const input = text ?? String(value);
  try {
    return ok(isClass(conversion) ? new (conversion as new (t: string) => T)(input) : (conversion as (t: string) => T)(input));
  } catch (error) {
    return { problem: error instanceof Error ? error.message : String(error) };
  }
}
