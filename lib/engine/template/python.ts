/**
 * Python's value semantics for templates, as Jinja2 gets them from Python:
 * how values print (`str()` and `repr()`), truthiness, equality, ordering
 * and the arithmetic operators. JS numbers stand for Python ints and floats;
 * a value that Python would hold as a float (a division, `|float`, a float
 * literal) is a `PyFloat` so it prints as Python prints it (`2.0`).
 */

/** A Python float: prints with a fraction (`2.0`), computes as a number. */
export class PyFloat {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
  toString(): string {
    return floatRepr(this.value);
  }
  toJSON(): number {
    return this.value;
  }
}

/** A Python tuple (a parenthesised list in a template): prints as `(1, 2)`. */
export class PyTuple<T = unknown> extends Array<T> {
  // map(), filter() and slice() of a tuple give plain lists.
  static override get [Symbol.species]() {
    return Array;
  }
}

/** A tuple of `items`. */
export function tuple<T>(items: Iterable<T>): PyTuple<T> {
  const result = new PyTuple<T>();
  for (const item of items) result.push(item);
  return result;
}

/** A Python error inside a template (TypeError, ValueError, ...): the message says which. */
export class PyError extends Error {
  constructor(kind: string, message: string) {
    super(`${kind}: ${message}`);
  }
}

export const isFloat = (value: unknown): value is PyFloat => value instanceof PyFloat;
export const isNumber = (value: unknown): value is number | PyFloat => typeof value === "number" || value instanceof PyFloat;
/** The JS number of an int or float (or a bool, which Python counts as 0 or 1). */
export const num = (value: unknown): number => (value instanceof PyFloat ? value.value : typeof value === "boolean" ? Number(value) : (value as number));

/** A dict for templates: a plain object (or one without prototype) or a Map. */
export function isDict(value: unknown): value is Record<string, unknown> {
  if (!value || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Python's repr() of a float: shortest digits, exponent outside 1e-4 <= |x| < 1e16. */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mantissa, exponentText] = x.toExponential().split("e");
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const sign = exponent < 0 ? "-" : "+";
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  const text = String(x);
  return text.includes(".") ? text : `${text}.0`;
}

const nonPrintable = /[\x00-\x1f\x7f]/g;

/** Python's repr() of a str: single quotes unless the text has only those. */
export function strRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let body = text.replace(/\\/g, "\\\\");
  if (quote === "'") body = body.replace(/'/g, "\\'");
  body = body
    .replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r")
    .replace(/\t/g, "\\t")
    .replace(nonPrintable, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
  return quote + body + quote;
}

/** Python's repr(). */
export function pyRepr(value: unknown): string {
  if (typeof value === "string") return strRepr(value);
  if (value instanceof PyTuple) return value.length === 1 ? `(${pyRepr(value[0])},)` : `(${value.map(pyRepr).join(", ")})`;
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(", ")}]`;
  if (value instanceof Map) return `{${[...value].map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(", ")}}`;
  if (value instanceof Set) return value.size === 0 ? "set()" : `{${[...value].map(pyRepr).join(", ")}}`;
  if (isDict(value)) return `{${Object.entries(value).map(([k, v]) => `${strRepr(k)}: ${pyRepr(v)}`).join(", ")}}`;
  return pyStr(value);
}

/** Python's str(): what `{{ value }}` prints. */
export function pyStr(value: unknown): string {
  switch (typeof value) {
    case "string":
      return value;
    case "number":
      return Number.isInteger(value) ? String(value) : floatRepr(value);
    case "boolean":
      return value ? "True" : "False";
    case "bigint":
      return String(value);
    case "undefined":
      return "None";
    case "function":
      return `<function ${value.name || "<lambda>"}>`;
  }
  if (value === null) return "None";
  if (value instanceof PyFloat) return floatRepr(value.value);
  if (Array.isArray(value) || value instanceof Map || value instanceof Set || isDict(value)) return pyRepr(value);
  return String(value);
}

/** Python's truthiness: empty lists, dicts and strings, 0 and None are false. */
export function truthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false) return false;
  if (value === true) return true;
  if (typeof value === "number") return value !== 0 && !Number.isNaN(value);
  if (typeof value === "string") return value.length > 0;
  if (value instanceof PyFloat) return value.value !== 0;
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof Map || value instanceof Set) return value.size > 0;
  if (isDict(value)) return Object.keys(value).length > 0;
  return true;
}

/** Python's `==`. */
export function eq(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isNumber(a) || typeof a === "boolean") return (isNumber(b) || typeof b === "boolean") && num(a) === num(b);
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length || (a instanceof PyTuple) !== (b instanceof PyTuple)) return false;
    return a.every((item, i) => eq(item, b[i]));
  }
  if (isDict(a)) {
    if (!isDict(b)) return false;
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => key in b && eq(a[key], b[key]));
  }
  return false;
}

function typeName(value: unknown): string {
  if (value === null || value === undefined) return "NoneType";
  if (typeof value === "string") return "str";
  if (typeof value === "boolean") return "bool";
  if (value instanceof PyFloat || (typeof value === "number" && !Number.isInteger(value))) return "float";
  if (typeof value === "number") return "int";
  if (value instanceof PyTuple) return "tuple";
  if (Array.isArray(value)) return "list";
  if (isDict(value) || value instanceof Map) return "dict";
  return (value as object).constructor?.name ?? "object";
}

/** Python's ordering (`<` and friends): numbers with numbers, strings with strings, lists element-wise. */
export function order(a: unknown, b: unknown, op = "<"): number {
  if ((isNumber(a) || typeof a === "boolean") && (isNumber(b) || typeof b === "boolean")) return num(a) - num(b);
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (!eq(a[i], b[i])) return order(a[i], b[i], op);
    }
    return a.length - b.length;
  }
  throw new PyError("TypeError", `'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

/** One comparison operator of a (possibly chained) comparison. */
export function compare(a: unknown, op: string, b: unknown): boolean {
  switch (op) {
    case "==":
      return eq(a, b);
    case "!=":
      return !eq(a, b);
    case "<":
      return order(a, b, op) < 0;
    case "<=":
      return order(a, b, op) <= 0;
    case ">":
      return order(a, b, op) > 0;
    case ">=":
      return order(a, b, op) >= 0;
  }
  throw new PyError("TemplateSyntaxError", `unknown comparison ${op}`);
}

const numeric = (a: unknown, b: unknown, result: number): number | PyFloat => (isFloat(a) || isFloat(b) ? new PyFloat(result) : result);
const bothNumbers = (a: unknown, b: unknown) => (isNumber(a) || typeof a === "boolean") && (isNumber(b) || typeof b === "boolean");

function unsupported(op: string, a: unknown, b: unknown): PyError {
  return new PyError("TypeError", `unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
}

export function add(a: unknown, b: unknown): unknown {
  if (bothNumbers(a, b)) return numeric(a, b, num(a) + num(b));
  if (typeof a === "string" && typeof b === "string") return a + b;
  if (Array.isArray(a) && Array.isArray(b) && (a instanceof PyTuple) === (b instanceof PyTuple)) {
    return a instanceof PyTuple ? tuple([...a, ...b]) : [...a, ...b];
  }
  if (typeof a === "string" || typeof b === "string") throw new PyError("TypeError", `can only concatenate str (not "${typeName(typeof a === "string" ? b : a)}") to str`);
  throw unsupported("+", a, b);
}

export function sub(a: unknown, b: unknown): unknown {
  if (bothNumbers(a, b)) return numeric(a, b, num(a) - num(b));
  throw unsupported("-", a, b);
}

export function mul(a: unknown, b: unknown): unknown {
  if (bothNumbers(a, b)) return numeric(a, b, num(a) * num(b));
  const [sequence, count] = typeof b === "number" ? [a, b] : [b, a];
  if (typeof count === "number" && Number.isInteger(count)) {
    if (typeof sequence === "string") return sequence.repeat(Math.max(0, count));
    if (Array.isArray(sequence)) return Array.from({ length: Math.max(0, count) }, () => sequence).flat();
  }
  throw unsupported("*", a, b);
}

function divisor(a: unknown, b: unknown, op: string): number {
  if (!bothNumbers(a, b)) throw unsupported(op, a, b);
  if (num(b) === 0) throw new PyError("ZeroDivisionError", op === "/" ? "division by zero" : "integer division or modulo by zero");
  return num(b);
}

export function div(a: unknown, b: unknown): PyFloat {
  return new PyFloat(num(a) / divisor(a, b, "/"));
}

export function floordiv(a: unknown, b: unknown): unknown {
  return numeric(a, b, Math.floor(num(a) / divisor(a, b, "//")));
}

export function mod(a: unknown, b: unknown): unknown {
  if (typeof a === "string") return percentFormat(a, b);
  const d = divisor(a, b, "%");
  const r = num(a) % d;
  return numeric(a, b, r !== 0 && r < 0 !== d < 0 ? r + d : r);
}

export function pow(a: unknown, b: unknown): unknown {
  if (!bothNumbers(a, b)) throw unsupported("** or pow()", a, b);
  const result = num(a) ** num(b);
  return isFloat(a) || isFloat(b) || num(b) < 0 ? new PyFloat(result) : result;
}

export function neg(a: unknown): unknown {
  if (isFloat(a)) return new PyFloat(-a.value);
  if (typeof a === "number" || typeof a === "boolean") return -num(a);
  throw new PyError("TypeError", `bad operand type for unary -: '${typeName(a)}'`);
}

/** Python's `x in y`. */
export function contains(container: unknown, item: unknown): boolean {
  if (typeof container === "string") {
    if (typeof item !== "string") throw new PyError("TypeError", `'in <string>' requires string as left operand, not ${typeName(item)}`);
    return container.includes(item);
  }
  if (Array.isArray(container)) return container.some((x) => eq(x, item));
  if (container instanceof Map || container instanceof Set) return container.has(item);
  if (isDict(container)) return typeof item === "string" && Object.hasOwn(container, item);
  throw new PyError("TypeError", `argument of type '${typeName(container)}' is not iterable`);
}

/** Python's `'%s:%d' % args`. */
export function percentFormat(format: string, args: unknown): string {
  const values = args instanceof PyTuple ? [...args] : [args];
  const mapping = isDict(args) ? args : undefined;
  let next = 0;
  const take = (): unknown => {
    if (next >= values.length) throw new PyError("TypeError", "not enough arguments for format string");
    return values[next++];
  };
  const out = format.replace(/%(?:\(([^)]*)\))?([-+ #0]*)(\d+|\*)?(?:\.(\d+|\*))?([diouxXeEfFgGcrsa%])/g, (_m, key, flags, width, precision, type) => {
    if (type === "%") return "%";
    const value = key !== undefined ? mapping?.[key] : take();
    const w = width === "*" ? num(take()) : width === undefined ? 0 : Number(width);
    const p = precision === "*" ? num(take()) : precision === undefined ? undefined : Number(precision);
    return formatOne(value, type, flags, w, p);
  });
  if (!mapping && next < values.length) throw new PyError("TypeError", "not all arguments converted during string formatting");
  return out;
}

function formatOne(value: unknown, type: string, flags: string, width: number, precision: number | undefined): string {
  let body: string;
  let sign = "";
  const numberFor = (kind: string): number => {
    if (!isNumber(value) && typeof value !== "boolean") throw new PyError("TypeError", `%${kind} format: a real number is required, not ${typeName(value)}`);
    return num(value);
  };
  switch (type) {
    case "s":
      body = pyStr(value);
      if (precision !== undefined) body = body.slice(0, precision);
      break;
    case "r":
    case "a":
      body = pyRepr(value);
      break;
    case "c":
      body = typeof value === "number" ? String.fromCodePoint(value) : String(value);
      break;
    default: {
      const n = numberFor(type);
      if (n < 0 || Object.is(n, -0)) sign = "-";
      else if (flags.includes("+")) sign = "+";
      else if (flags.includes(" ")) sign = " ";
      const abs = Math.abs(n);
      switch (type) {
        case "d":
        case "i":
        case "u":
          body = String(Math.trunc(abs));
          break;
        case "o":
          body = (flags.includes("#") ? "0o" : "") + Math.trunc(abs).toString(8);
          break;
        case "x":
          body = (flags.includes("#") ? "0x" : "") + Math.trunc(abs).toString(16);
          break;
        case "X":
          body = (flags.includes("#") ? "0X" : "") + Math.trunc(abs).toString(16).toUpperCase();
          break;
        case "e":
        case "E":
          body = exponential(abs, precision ?? 6);
          if (type === "E") body = body.toUpperCase();
          break;
        case "f":
        case "F":
          body = toFixed(abs, precision ?? 6);
          break;
        default:
          body = general(abs, precision ?? 6);
          if (type === "G") body = body.toUpperCase();
      }
    }
  }
  const text = sign + body;
  if (text.length >= width) return text;
  if (flags.includes("-")) return text.padEnd(width);
  if (flags.includes("0") && type !== "s" && type !== "r") return sign + body.padStart(width - sign.length, "0");
  return text.padStart(width);
}

// Digits past the requested ones that tell an exact tie (a binary value ending in 5) from a near one.
const TIE_DIGITS = 40;

/**
 * `digits` (JavaScript's rounding, a tie away from zero) with an exact tie
 * rounded to the even digit instead, as Python does; `exact` is the same
 * number with TIE_DIGITS more digits.
 */
function tieToEven(digits: string, exact: string): string {
  if (!/^50*$/.test(exact.slice(-TIE_DIGITS))) return digits;
  const truncated = exact.slice(0, -TIE_DIGITS).replace(/\.$/, "");
  return Number(truncated.at(-1)) % 2 === 0 ? truncated : digits;
}

/** `x.toFixed(digits)` rounded as Python's `%.Nf` and `round()` round: an exact tie goes to the even digit. */
export function toFixed(x: number, digits: number): string {
  const plain = x.toFixed(digits);
  if (!Number.isFinite(x) || Math.abs(x) >= 1e21 || digits + TIE_DIGITS > 100) return plain;
  return tieToEven(plain, x.toFixed(digits + TIE_DIGITS));
}

/** `x.toExponential(digits)` rounded as Python rounds (see toFixed). */
function toExponential(x: number, digits: number): string {
  const plain = x.toExponential(digits);
  if (!Number.isFinite(x) || digits + TIE_DIGITS > 100) return plain;
  const [mantissa, exponent] = plain.split("e");
  const [exactMantissa] = x.toExponential(digits + TIE_DIGITS).split("e");
  const rounded = tieToEven(mantissa!, exactMantissa!);
  return rounded === mantissa ? plain : `${rounded}e${exponent}`;
}

/** `%e` as Python writes it (two-digit exponent at least). */
export function exponential(x: number, precision: number): string {
  const [mantissa, exponent] = toExponential(x, precision).split("e");
  const e = Number(exponent);
  return `${mantissa}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
}

/** `%g`: the shorter of `%e` and `%f` with trailing zeros dropped. */
export function general(x: number, precision: number): string {
  const p = precision === 0 ? 1 : precision;
  if (x === 0) return "0";
  // Python takes the exponent after rounding to p digits (999999.5 → 1e+06), not of x itself
  const exponent = Number(toExponential(x, p - 1).split("e")[1]);
  const strip = (s: string) => (s.includes(".") ? s.replace(/\.?0+(?=e|$)/, "") : s);
  if (exponent < -4 || exponent >= p) return strip(exponential(x, p - 1));
  return strip(toFixed(x, Math.max(0, p - 1 - exponent)));
}
