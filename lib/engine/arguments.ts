/**
 * Applies what a component is given from outside: the namevar and options of
 * its constructor, and, for a top-level component, the environment's
 * `[components.NAME]` overrides. Every key must be a declared field; override
 * values must fit the type of the field's default.
 */
import type { Component } from "./component.ts";
import { ConfigurationError } from "./errors.ts";

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

/** True when `key` is a settable, non-method field of `component`. */
export function isAttribute(component: Component, key: string): boolean {
  // `__proto__`, `constructor`, `toString`, ...: never attributes, whatever the component declares.
  if (key.startsWith("_") || key in Object.prototype) return false;
  const own = Object.hasOwn(component, key);
  // A subclass may declare a field that shadows a base method (File's `template`).
  if (!own && reserved(component).has(key)) return false;
  if (!(key in component)) return false;
  return typeof (component as unknown as Record<string, unknown>)[key] !== "function";
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

function typeName(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "array";
  if (value instanceof Date) return "date";
  if (isPlainObject(value)) return "table";
  return typeof value;
}

/**
 * Converts an override `value` to the type of `current` (the field's default),
 * or returns an error text. Strings convert where that is unambiguous.
 */
export function convertOverride(current: unknown, value: unknown): { value: unknown } | { error: string } {
  const expected = typeName(current);
  const given = typeName(value);
  if (expected === "nothing" || expected === given) return { value };
  if (given === "string") {
    const text = (value as string).trim();
    if (expected === "number" && text !== "" && Number.isFinite(Number(text))) return { value: Number(text) };
    if (expected === "boolean" && /^(true|false)$/i.test(text)) return { value: text.toLowerCase() === "true" };
  }
  if (expected === "string" && (given === "number" || given === "boolean")) return { value: String(value) };
  return { error: `expected ${expected}, got ${given}` };
}

/**
 * Validates and assigns constructor arguments (`[namevar?, options?]`) and,
 * when given, top-level overrides. Throws a `ConfigurationError` naming the
 * component and the offending key.
 */
export function validateArguments(component: Component, args: unknown[], overrides?: Overrides): void {
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
    if (!isPlainObject(options)) throw new ConfigurationError(`${name}: options must be an object`, { component: where() });
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

/** The fields a user may set on `component`, for messages. */
export function declaredAttributes(component: Component): string[] {
  return Object.keys(component).filter((key) => isAttribute(component, key));
}

function applyOverrides(component: Component, overrides: Overrides): void {
  const self = component as unknown as Record<string, unknown>;
  for (const [key, raw] of Object.entries(overrides.values)) {
    const file = overrides.sources[key];
    if (!isAttribute(component, key)) {
      throw new ConfigurationError(`override of an unknown attribute "${key}"`, {
        file,
        component: component.constructor.name,
        attribute: key,
        known: declaredAttributes(component).join(", ") || "(none)",
      });
    }
    const converted = convertOverride(self[key], raw);
    if ("error" in converted) {
      throw new ConfigurationError(`override of the wrong type: ${converted.error}`, {
        file,
        component: component.constructor.name,
        attribute: key,
      });
    }
    self[key] = converted.value;
  }
}
