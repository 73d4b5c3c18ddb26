/**
 * What compiled templates call at run time (as `runtime.py`): strict
 * undefined values, attribute lookup with Python's methods and batou's
 * snake_case names, calls, iteration, the loop object, slices, namespaces
 * and printing.
 */
import { isFloatAttribute } from "../arguments.ts";
import { pythonMethod, toList } from "./methods.ts";
import { isDict, PyError, PyFloat, PyTuple, tuple, pyStr, strRepr, truthy } from "./python.ts";

/** Jinja2's StrictUndefined: a missing name or attribute; using it is an error naming it. */
export class Undefined {
  constructor(readonly message: string) {}
  fail(): never {
    throw new PyError("UndefinedError", this.message);
  }
}

/**
 * Jinja2's plain Undefined, which even a strict environment gives for an
 * inline `if` without `else` that is false: it prints as "", tests false and
 * iterates as empty; anything else done with it fails as the strict one does.
 */
export class LenientUndefined extends Undefined {}

/** Throws for an undefined value, passes anything else through. */
export function defined<T>(value: T): T {
  if (value instanceof Undefined) value.fail();
  return value;
}

/** How Jinja2 names a value's type in an error: 'dict object', 'Template object'. */
function describe(value: unknown): string {
  if (typeof value === "string") return "'str object'";
  if (Array.isArray(value)) return value instanceof PyTuple ? "'tuple object'" : "'list object'";
  if (isDict(value)) return "'dict object'";
  if (value === null) return "None";
  const name = (value as object)?.constructor?.name;
  return `'${name && name !== "Object" ? name : "object"} object'`;
}

const camel = (name: string) => name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

/** A name the template looks up: missing ones are `Undefined`. */
export function undefinedName(name: string): Undefined {
  return new Undefined(`'${name}' is undefined`);
}

/**
 * `obj.key` and `obj[key]`: a dict's items, a list's or string's index, an
 * object's property (its methods bound to it), then Python's methods, then
 * the camelCase spelling of a snake_case name (`host.service_user` reads
 * `serviceUser`). A component's `"float"` attribute reads as a Python float.
 */
export function getattr(obj: unknown, key: unknown): unknown {
  defined(obj);
  if (obj === null || obj === undefined) return new Undefined(`'None' has no attribute '${String(key)}'`);
  if (typeof key === "number" || (typeof key === "string" && Array.isArray(obj) && /^-?\d+$/.test(key))) {
    if (typeof obj === "string" || Array.isArray(obj)) {
      const length = (obj as string | unknown[]).length;
      const index = Number(key) < 0 ? Number(key) + length : Number(key);
      if (index >= 0 && index < length) return (obj as any)[index];
      return new Undefined(`${describe(obj)} has no element ${String(key)}`);
    }
    if (isDict(obj) && Object.hasOwn(obj, String(key))) return obj[String(key)];
  }
  if (typeof key !== "string") return new Undefined(`${describe(obj)} has no element ${pyStr(key)}`);
  if (isDict(obj)) {
    if (Object.hasOwn(obj, key)) return obj[key];
    return pythonMethod(obj, key) ?? new Undefined(`${describe(obj)} has no attribute ${strRepr(key)}`);
  }
  if (Array.isArray(obj) && Object.hasOwn(obj, key) && !/^\d+$/.test(key)) return (obj as unknown as Record<string, unknown>)[key];
  if (typeof obj === "string" || Array.isArray(obj)) {
    return pythonMethod(obj, key) ?? new Undefined(`${describe(obj)} has no attribute ${strRepr(key)}`);
  }
  if (obj instanceof Map) return obj.has(key) ? obj.get(key) : new Undefined(`${describe(obj)} has no element ${strRepr(key)}`);
  if (typeof obj === "object" || typeof obj === "function") {
    const target = obj as Record<string, unknown>;
    const name = key in target ? key : key.includes("_") && camel(key) in target ? camel(key) : undefined;
    if (name !== undefined && !name.startsWith("__")) {
      const value = target[name];
      if (typeof value === "number" && isFloatAttribute(target, name)) return new PyFloat(value);
      return typeof value === "function" && !isClass(value) ? (value as (...args: unknown[]) => unknown).bind(obj) : value;
    }
  }
  return new Undefined(`${describe(obj)} has no attribute ${strRepr(key)}`);
}

const isClass = (fn: unknown) => typeof fn === "function" && /^class[\s{]/.test(Function.prototype.toString.call(fn));

/** Calls `fn` (a template name tells which in the error). */
export function call(fn: unknown, name: string, context: unknown, args: unknown[]): unknown {
  if (fn instanceof Undefined) fn.fail();
  if (typeof fn !== "function") throw new PyError("TypeError", `'${name}' is not callable`);
  for (const arg of args) defined(arg);
  return fn.apply(context, args);
}

/** What a `for` loop iterates: a dict's keys, a string's characters, a list's items. */
export function iterate(value: unknown): unknown[] {
  if (value instanceof LenientUndefined) return [];
  defined(value);
  return toList(value);
}

/** `for a, b in pairs`: one item unpacked into `count` names. */
export function unpack(item: unknown, count: number): unknown[] {
  const parts = toList(defined(item));
  if (parts.length !== count) throw new PyError("ValueError", parts.length > count ? `too many values to unpack (expected ${count})` : `not enough values to unpack (expected ${count}, got ${parts.length})`);
  return parts;
}

/** Jinja2's `loop` inside a for loop. */
export class Loop {
  private seen?: { value: unknown };
  index0 = 0;
  constructor(private readonly items: unknown[]) {}
  get index(): number {
    return this.index0 + 1;
  }
  get revindex(): number {
    return this.items.length - this.index0;
  }
  get revindex0(): number {
    return this.items.length - this.index0 - 1;
  }
  get first(): boolean {
    return this.index0 === 0;
  }
  get last(): boolean {
    return this.index0 === this.items.length - 1;
  }
  get length(): number {
    return this.items.length;
  }
  get depth(): number {
    return 1;
  }
  get depth0(): number {
    return 0;
  }
  get previtem(): unknown {
    return this.index0 > 0 ? this.items[this.index0 - 1] : new Undefined("there is no previous item");
  }
  get nextitem(): unknown {
    return this.index0 < this.items.length - 1 ? this.items[this.index0 + 1] : new Undefined("there is no next item");
  }
  cycle(...values: unknown[]): unknown {
    if (!values.length) throw new PyError("TypeError", "no items for cycling given");
    return values[this.index0 % values.length];
  }
  changed(...values: unknown[]): boolean {
    const value = tuple(values);
    if (this.seen && pyStr(this.seen.value) === pyStr(value)) return false;
    this.seen = { value };
    return true;
  }
  toString(): string {
    return `<LoopContext ${this.index}/${this.length}>`;
  }
}

/** Jinja2's `namespace()`: the one object `set ns.attr = ...` may change. */
export class Namespace {
  constructor(attributes: Record<string, unknown> = {}) {
    const { __keywords: _, ...rest } = attributes as Record<string, unknown> & { __keywords?: boolean };
    Object.assign(this, rest);
  }
  toString(): string {
    return `<Namespace ${Object.entries(this).map(([k, v]) => `${k}=${pyStr(v)}`).join(", ")}>`;
  }
}

/** `set ns.attr = value`. */
export function setattr(obj: unknown, key: string, value: unknown): void {
  if (!(defined(obj) instanceof Namespace)) throw new PyError("TemplateRuntimeError", "cannot assign attribute on non-namespace object");
  (obj as Record<string, unknown>)[key] = value;
}

/** `value[start:stop:step]` as Python slices. */
export function slice(value: unknown, start: unknown, stop: unknown, step: unknown): unknown {
  defined(value);
  const items: unknown[] = typeof value === "string" ? [...value] : Array.isArray(value) ? value : toList(value);
  const length = items.length;
  const by = step === null || step === undefined ? 1 : Number(defined(step));
  if (by === 0) throw new PyError("ValueError", "slice step cannot be zero");
  const clamp = (bound: unknown, fallback: number): number => {
    if (bound === null || bound === undefined) return fallback;
    let n = Number(defined(bound));
    if (n < 0) n += length;
    return by > 0 ? Math.min(Math.max(n, 0), length) : Math.min(Math.max(n, -1), length - 1);
  };
  const from = clamp(start, by > 0 ? 0 : length - 1);
  const to = clamp(stop, by > 0 ? length : -1);
  const result: unknown[] = [];
  for (let i = from; by > 0 ? i < to : i > to; i += by) result.push(items[i]);
  if (typeof value === "string") return result.join("");
  return value instanceof PyTuple ? tuple(result) : result;
}

/** `{{ value }}`: Python's str() of a defined value. */
export function output(value: unknown): string {
  return value instanceof LenientUndefined ? "" : pyStr(defined(value));
}

/** Truthiness of a defined value. */
export function test(value: unknown): boolean {
  return value instanceof LenientUndefined ? false : truthy(defined(value));
}
