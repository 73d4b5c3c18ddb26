/**
 * Applies what a component is given from outside: the namevar and options of
 * its constructor, and, for a top-level component, the environment's
 * `[components.NAME]` overrides. Every key must be a declared field. Override
 * values of a declared `attribute()` go through its conversion (attribute.ts);
 * those of a plain field must fit the type of the field's default.
 */
import { AttributeSpec, convert, decimal, booleanText } from "./attribute.ts";
import type { Component } from "./component.ts";
import { isTable } from "./environment-schema.ts";
import { BatouError, ConfigurationError, ConfigurationErrors } from "./errors.ts";

/** Overrides of one top-level component, with the file they came from (for errors). */
export interface Overrides {
  values: Record<string, unknown>;
  /** Where each key was set (`environments/prod.toml`, or the secrets file). */
  sources: Record<string, string>;
  /** The line of each key in its file, where known. */
  lines?: Record<string, number | undefined>;
}

/** Names a component may not take as options: the engine's own API. */
const RESERVED = new Set<string>();
let reservedReady = false;
function reserved(component: Component): Set<string> {
  if (!reservedReady) {
    // Everything the base class defines (getters and methods) is API, not an attribute.
    // The base is the last prototype before Object's (names may be minified).
    let proto = Object.getPrototypeOf(component);
    while (proto && Object.getPrototypeOf(proto) !== Object.prototype) proto = Object.getPrototypeOf(proto);
    for (const name of Object.getOwnPropertyNames(proto ?? {})) RESERVED.add(name);
    reservedReady = true;
  }
  return RESERVED;
}

/** The value of one declared attribute of one component. */
interface AttributeState {
  spec: AttributeSpec;
  set: boolean;
  value?: unknown;
}

/** Declared attributes by component (kept off the instance: its enumerable fields are its attributes). */
const declared = new WeakMap<Component, Map<string, AttributeState>>();

/**
 * Replaces the `attribute()` markers in `component`'s fields with accessors
 * that convert a `defaultText` when first read and refuse to read an
 * attribute that has no value. Runs once per instance, before any value is set.
 */
function installAttributes(component: Component): void {
  if (declared.has(component)) return;
  const states = new Map<string, AttributeState>();
  const self = component as unknown as Record<string, unknown>;
  for (const key of Object.keys(component)) {
    const spec = self[key];
    if (!(spec instanceof AttributeSpec)) continue;
    const state: AttributeState = { spec, set: false };
    states.set(key, state);
    Object.defineProperty(component, key, {
      enumerable: true,
      configurable: true,
      get: () => readAttribute(component, key, state),
      set: (value: unknown) => {
        state.value = value;
        state.set = true;
      },
    });
  }
  declared.set(component, states);
}

function readAttribute(component: Component, key: string, state: AttributeState): unknown {
  if (state.set) return state.value;
  const { options } = state.spec;
  if (Object.hasOwn(options, "default")) return options.default;
  if (options.defaultText !== undefined) {
    state.value = fromConfig(component, key, state.spec, options.defaultText, { origin: "the default" });
    state.set = true;
    return state.value;
  }
  const top = component.parent === undefined;
  throw new ConfigurationError(`attribute "${key}" has no value`, {
    component: component.breadcrumbs,
    attribute: key,
    hint: top
      ? `set it in [components.${component.constructor.name.toLowerCase()}] of the environment (or in its secrets), or give it a default`
      : `pass it as an option (new ${component.constructor.name}({ ${key}: … })), or give it a default`,
  });
}

/**
 * An override (or a `defaultText`) through a declared attribute: expanded as
 * a template, mapped as a path, converted. Errors name where it came from,
 * the component, the attribute, the value and the conversion.
 */
function fromConfig(component: Component, key: string, spec: AttributeSpec, raw: unknown, where: Record<string, string | number | undefined>): unknown {
  const context = { ...where, component: component.breadcrumbs, attribute: key, value: JSON.stringify(raw) };
  let value = raw;
  if (typeof value === "string" && spec.options.expand !== false) {
    try {
      value = component.expand(value);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ConfigurationError(`cannot expand the value of "${key}": ${reason}`, { ...context, hint: "expand: false takes the text as it is" });
    }
  }
  if (typeof value === "string" && spec.options.map) value = component.map(value);
  const converted = convert(spec.conversion, value);
  if ("problem" in converted) {
    throw new ConfigurationError(`cannot convert the value of "${key}": ${converted.problem}`, {
      ...context,
      expanded: value !== raw && typeof value === "string" ? JSON.stringify(value) : undefined,
      conversion: spec.conversionName,
    });
  }
  return converted.value;
}

/**
 * True when `key` of `object` is a declared `attribute("float", …)`: its value
 * is a JS number, which templates print as Python prints a float (`2.0`).
 */
export function isFloatAttribute(object: object, key: string): boolean {
  return declared.get(object as Component)?.get(key)?.spec.conversion === "float";
}

/** True when `key` is a settable, non-method field of `component`. */
export function isAttribute(component: Component, key: string): boolean {
  // `__proto__`, `constructor`, `toString`, ...: never attributes, whatever the component declares.
  if (key.startsWith("_") || key in Object.prototype) return false;
  if (declared.get(component)?.has(key)) return true;
  const own = Object.hasOwn(component, key);
  // A subclass may declare a field that shadows a base method (File's `template`).
  if (!own && reserved(component).has(key)) return false;
  if (!(key in component)) return false;
  return typeof (component as unknown as Record<string, unknown>)[key] !== "function";
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return isTable(value);
}

function typeName(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "array";
  if (value instanceof Date) return "date";
  if (isTable(value)) return "table";
  return typeof value;
}

/**
 * Converts an override `value` to the type of `current` (a plain field's
 * default), or returns an error text. Strings convert where that is
 * unambiguous: a decimal number, `true`/`false`.
 */
function convertOverride(current: unknown, value: unknown): { value: unknown } | { error: string } {
  const expected = typeName(current);
  const given = typeName(value);
  if (expected === "nothing" || expected === given) return { value };
  if (given === "string") {
    const text = value as string;
    const number = expected === "number" ? decimal(text) : undefined;
    if (number !== undefined) return { value: number };
    const flag = expected === "boolean" ? booleanText(text) : undefined;
    if (flag !== undefined) return { value: flag };
  }
  if (expected === "string" && (given === "number" || given === "boolean")) return { value: String(value) };
  return { error: `expected ${expected}, got ${given}` };
}

/**
 * Validates and assigns constructor arguments (`[namevar?, options?]`) and,
 * when given, top-level overrides. Throws a `ConfigurationError` (several as
 * `ConfigurationErrors`) naming the component and the offending keys.
 */
export function validateArguments(component: Component, args: unknown[], overrides?: Overrides): void {
  installAttributes(component);
  const self = component as unknown as Record<string, unknown>;
  const klass = component.constructor as typeof Component;
  const name = klass.name;
  let [first, options] = args;
  // The path in the tree (`App > File('x')`), so the error says which File.
  const where = () => component.breadcrumbs;
  if (klass.namevar) {
    if (first === undefined || first === null) {
      const path = component.parent ? `${component.parent.breadcrumbs} > ${name}` : name;
      throw new ConfigurationError(`${name} needs a ${klass.namevar} as its first argument`, { component: path });
    }
    self[klass.namevar] = first;
  } else if (isPlainObject(first) && options === undefined) {
    options = first;
  } else if (first !== undefined) {
    throw new ConfigurationError(`${name} takes no name argument (it declares no static namevar)`, { component: where() });
  }
  if (options !== undefined && options !== null) {
    if (!isPlainObject(options)) throw new ConfigurationError(`the options of ${name} must be an object`, { component: where() });
    const unknown = Object.keys(options).filter((key) => !isAttribute(component, key));
    if (unknown.length > 0) {
      throw new ConfigurationError(`unknown option${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} for ${name}`, {
        component: where(),
        expected: declaredAttributes(component).join(", ") || "(no options)",
      });
    }
    Object.assign(component, options);
  }
  if (overrides) applyOverrides(component, overrides);
}

/**
 * What is wrong with overriding `component`'s attribute `key` with `value`,
 * checked without a host (`secrets edit` checks this way): an error text, or
 * undefined when it fits. Template strings of expanded attributes are left to
 * the deployment, which can render them.
 */
export function overrideProblem(component: Component, key: string, value: unknown): string | undefined {
  installAttributes(component);
  if (!isAttribute(component, key)) return `no attribute "${key}"`;
  const state = declared.get(component)?.get(key);
  if (state) {
    if (typeof value === "string" && state.spec.options.expand !== false && /\{[{%]/.test(value)) return undefined;
    const converted = convert(state.spec.conversion, value);
    return "problem" in converted ? `${converted.problem} (conversion ${state.spec.conversionName})` : undefined;
  }
  const converted = convertOverride((component as unknown as Record<string, unknown>)[key], value);
  return "error" in converted ? converted.error : undefined;
}

/** The fields a user may set on `component`, for messages. */
export function declaredAttributes(component: Component): string[] {
  return Object.keys(component).filter((key) => isAttribute(component, key));
}

/** Applies every override it can and reports every one it cannot, at once. */
function applyOverrides(component: Component, overrides: Overrides): void {
  const self = component as unknown as Record<string, unknown>;
  const errors: BatouError[] = [];
  const unknownByFile = new Map<string, string[]>();
  for (const [key, raw] of Object.entries(overrides.values)) {
    const file = overrides.sources[key];
    const line = overrides.lines?.[key];
    if (!isAttribute(component, key)) {
      const list = unknownByFile.get(file ?? "") ?? [];
      list.push(key);
      unknownByFile.set(file ?? "", list);
      continue;
    }
    const state = declared.get(component)?.get(key);
    if (state) {
      try {
        self[key] = fromConfig(component, key, state.spec, raw, { file, line });
      } catch (error) {
        if (!(error instanceof BatouError)) throw error;
        errors.push(error);
      }
      continue;
    }
    const converted = convertOverride(self[key], raw);
    if ("error" in converted) {
      errors.push(
        new ConfigurationError(`override of the wrong type: ${converted.error}`, {
          file,
          line,
          component: component.breadcrumbs,
          attribute: key,
          value: JSON.stringify(raw),
        }),
      );
      continue;
    }
    self[key] = converted.value;
  }
  for (const [file, keys] of unknownByFile) {
    const quoted = keys.map((key) => `"${key}"`).join(", ");
    errors.unshift(
      new ConfigurationError(keys.length > 1 ? `overrides of unknown attributes ${quoted}` : `override of an unknown attribute ${quoted}`, {
        file: file || undefined,
        line: overrides.lines?.[keys[0]!],
        component: component.breadcrumbs,
        attribute: keys.join(", "),
        known: declaredAttributes(component).join(", ") || "(none)",
      }),
    );
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new ConfigurationErrors(errors);
}
