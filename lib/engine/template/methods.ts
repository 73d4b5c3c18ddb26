/**
 * The Python methods batou templates call on strings, lists and dicts
 * (`d.items()`, `s.split()`, `', '.join(xs)`, `'{}'.format(x)` ...), found by
 * attribute lookup on a value that has no such JS property of its own.
 */
import { eq, general, exponential, toFixed, isDict, isNumber, num, PyError, tuple, pyRepr, pyStr } from "./python.ts";

type Method = (self: any, ...args: any[]) => unknown;

const whitespace = /\s/;

function strip(text: string, chars: string | null | undefined, left: boolean, right: boolean): string {
  const drop = (c: string) => (chars === undefined || chars === null ? whitespace.test(c) : chars.includes(c));
  let start = 0;
  let end = text.length;
  if (left) while (start < end && drop(text[start]!)) start++;
  if (right) while (end > start && drop(text[end - 1]!)) end--;
  return text.slice(start, end);
}

function split(text: string, sep: string | null | undefined, maxsplit = -1): string[] {
  if (sep === undefined || sep === null) {
    const parts: string[] = [];
    let rest = text.replace(/^\s+/, "");
    while (rest.length) {
      if (maxsplit >= 0 && parts.length === maxsplit) {
        parts.push(rest.replace(/\s+$/, ""));
        break;
      }
      const match = /\s+/.exec(rest);
      if (!match) {
        parts.push(rest);
        break;
      }
      parts.push(rest.slice(0, match.index));
      rest = rest.slice(match.index + match[0].length);
    }
    return parts;
  }
  if (sep === "") throw new PyError("ValueError", "empty separator");
  const parts = text.split(sep);
  if (maxsplit < 0 || parts.length <= maxsplit + 1) return parts;
  return [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(sep)];
}

function rsplit(text: string, sep: string | null | undefined, maxsplit = -1): string[] {
  if (maxsplit < 0) return split(text, sep);
  if (sep === undefined || sep === null) {
    const reversed = split([...text].reverse().join(""), null, maxsplit);
    return reversed.map((part) => [...part].reverse().join("")).reverse();
  }
  const parts = text.split(sep);
  if (parts.length <= maxsplit + 1) return parts;
  return [parts.slice(0, parts.length - maxsplit).join(sep), ...parts.slice(parts.length - maxsplit)];
}

const prefixes = (arg: unknown): string[] => (Array.isArray(arg) ? (arg as string[]) : [arg as string]);

function title(text: string): string {
  return text.replace(/[A-Za-z\u00C0-\u024F]+/g, (word) => word[0]!.toUpperCase() + word.slice(1).toLowerCase());
}

const strMethods: Record<string, Method> = {
  split: (s: string, sep?: string | null, maxsplit?: number) => split(s, sep, maxsplit ?? -1),
  rsplit: (s: string, sep?: string | null, maxsplit?: number) => rsplit(s, sep, maxsplit ?? -1),
  splitlines: (s: string, keepends = false) => {
    const parts = s.match(/[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$/g) ?? [];
    return keepends ? parts : parts.map((line) => line.replace(/(?:\r\n|\r|\n)$/, ""));
  },
  replace: (s: string, old: string, replacement: string, count = -1) => {
    if (count < 0) return s.split(old).join(replacement);
    const parts = s.split(old);
    return parts.slice(0, count + 1).join(replacement) + (parts.length > count + 1 ? old + parts.slice(count + 1).join(old) : "");
  },
  strip: (s: string, chars?: string | null) => strip(s, chars, true, true),
  lstrip: (s: string, chars?: string | null) => strip(s, chars, true, false),
  rstrip: (s: string, chars?: string | null) => strip(s, chars, false, true),
  upper: (s: string) => s.toUpperCase(),
  lower: (s: string) => s.toLowerCase(),
  title: (s: string) => title(s),
  capitalize: (s: string) => (s ? s[0]!.toUpperCase() + s.slice(1).toLowerCase() : s),
  swapcase: (s: string) => [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(""),
  startswith: (s: string, prefix: unknown) => prefixes(prefix).some((p) => s.startsWith(p)),
  endswith: (s: string, suffix: unknown) => prefixes(suffix).some((p) => s.endsWith(p)),
  join: (s: string, items: unknown) => toList(items).map((item) => {
    if (typeof item !== "string") throw new PyError("TypeError", `sequence item: expected str instance, ${typeof item} found`);
    return item;
  }).join(s),
  format: (s: string, ...args: unknown[]) => strFormat(s, args),
  count: (s: string, sub: string) => (sub === "" ? s.length + 1 : s.split(sub).length - 1),
  find: (s: string, sub: string, start?: number) => s.indexOf(sub, start ?? 0),
  rfind: (s: string, sub: string) => s.lastIndexOf(sub),
  index: (s: string, sub: string) => {
    const i = s.indexOf(sub);
    if (i < 0) throw new PyError("ValueError", "substring not found");
    return i;
  },
  zfill: (s: string, width: number) => {
    const sign = s[0] === "-" || s[0] === "+" ? s[0] : "";
    return sign + s.slice(sign.length).padStart(width - sign.length, "0");
  },
  center: (s: string, width: number, fill = " ") => center(s, width, fill),
  ljust: (s: string, width: number, fill = " ") => s.padEnd(width, fill),
  rjust: (s: string, width: number, fill = " ") => s.padStart(width, fill),
  partition: (s: string, sep: string) => {
    const i = s.indexOf(sep);
    return tuple(i < 0 ? [s, "", ""] : [s.slice(0, i), sep, s.slice(i + sep.length)]);
  },
  rpartition: (s: string, sep: string) => {
    const i = s.lastIndexOf(sep);
    return tuple(i < 0 ? ["", "", s] : [s.slice(0, i), sep, s.slice(i + sep.length)]);
  },
  isdigit: (s: string) => /^\d+$/.test(s),
  isalpha: (s: string) => /^[A-Za-z]+$/.test(s),
  isalnum: (s: string) => /^[A-Za-z0-9]+$/.test(s),
  isspace: (s: string) => /^\s+$/.test(s),
  isupper: (s: string) => /[A-Z]/.test(s) && s === s.toUpperCase(),
  islower: (s: string) => /[a-z]/.test(s) && s === s.toLowerCase(),
  encode: (s: string) => s,
  removeprefix: (s: string, prefix: string) => (s.startsWith(prefix) ? s.slice(prefix.length) : s),
  removesuffix: (s: string, suffix: string) => (suffix && s.endsWith(suffix) ? s.slice(0, -suffix.length) : s),
};

/** Python's str.center: the extra space goes left when the padding is odd and the text length odd. */
export function center(s: string, width: number, fill = " "): string {
  const total = width - s.length;
  if (total <= 0) return s;
  const left = Math.floor(total / 2) + (total & width & 1);
  return fill.repeat(left) + s + fill.repeat(total - left);
}

const listMethods: Record<string, Method> = {
  index: (xs: unknown[], item: unknown) => {
    const i = xs.findIndex((x) => eq(x, item));
    if (i < 0) throw new PyError("ValueError", `${pyRepr(item)} is not in list`);
    return i;
  },
  count: (xs: unknown[], item: unknown) => xs.filter((x) => eq(x, item)).length,
  append: (xs: unknown[], item: unknown) => void xs.push(item),
  extend: (xs: unknown[], items: unknown) => void xs.push(...toList(items)),
  insert: (xs: unknown[], i: number, item: unknown) => void xs.splice(i, 0, item),
  pop: (xs: unknown[], i = -1) => xs.splice(i, 1)[0],
  copy: (xs: unknown[]) => [...xs],
};

const dictMethods: Record<string, Method> = {
  items: (d: Record<string, unknown>) => Object.entries(d).map((entry) => tuple(entry)),
  keys: (d: Record<string, unknown>) => Object.keys(d),
  values: (d: Record<string, unknown>) => Object.values(d),
  get: (d: Record<string, unknown>, key: string, fallback: unknown = null) => (Object.hasOwn(d, key) ? d[key] : fallback),
  copy: (d: Record<string, unknown>) => ({ ...d }),
  update: (d: Record<string, unknown>, other: Record<string, unknown>) => void Object.assign(d, other),
  setdefault: (d: Record<string, unknown>, key: string, value: unknown = null) => {
    if (!Object.hasOwn(d, key)) d[key] = value;
    return d[key];
  },
  pop: (d: Record<string, unknown>, key: string, fallback?: unknown) => {
    if (!Object.hasOwn(d, key)) {
      if (fallback === undefined) throw new PyError("KeyError", pyRepr(key));
      return fallback;
    }
    const value = d[key];
    delete d[key];
    return value;
  },
};

/** The Python method `name` of `value`, bound to it; undefined when there is none. */
export function pythonMethod(value: unknown, name: string): ((...args: unknown[]) => unknown) | undefined {
  const table = typeof value === "string" ? strMethods : Array.isArray(value) ? listMethods : isDict(value) ? dictMethods : undefined;
  const method = table && Object.hasOwn(table, name) ? table[name] : undefined;
  return method && ((...args: unknown[]) => method(value, ...args));
}

/** A value as Python's list() sees it: a dict gives its keys, a string its characters. */
export function toList(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === "string") return [...value];
  if (value instanceof Map) return [...value.keys()];
  if (isDict(value)) return Object.keys(value);
  if (value !== null && typeof value === "object" && Symbol.iterator in value) return [...(value as Iterable<unknown>)];
  throw new PyError("TypeError", `'${value === null || value === undefined ? "NoneType" : typeof value}' object is not iterable`);
}

/** Keyword arguments as nunjucks passes them: a trailing object marked __keywords. */
export function splitKeywords(args: unknown[]): [unknown[], Record<string, unknown>] {
  const last = args[args.length - 1] as Record<string, unknown> | undefined;
  if (last && typeof last === "object" && (last as { __keywords?: boolean }).__keywords) {
    const { __keywords: _, ...keywords } = last;
    return [args.slice(0, -1), keywords];
  }
  return [args, {}];
}

/** Python's str.format: `{}`, `{0}`, `{name}`, `{0.attr}`, `{0[key]}` and format specs. */
export function strFormat(format: string, rawArgs: unknown[]): string {
  const [args, keywords] = splitKeywords(rawArgs);
  let auto = 0;
  return format.replace(/\{\{|\}\}|\{([^{}!:]*)(?:!([rsa]))?(?::([^{}]*))?\}/g, (match, field: string | undefined, conversion, spec) => {
    if (match === "{{") return "{";
    if (match === "}}") return "}";
    const [, head = "", rest = ""] = /^([^.[]*)(.*)$/.exec(field ?? "")!;
    let value: unknown = head === "" ? args[auto++] : /^\d+$/.test(head) ? args[Number(head)] : keywords[head];
    for (const [, attr, key] of rest.matchAll(/\.(\w+)|\[([^\]]*)\]/g)) {
      value = (value as Record<string, unknown>)?.[attr ?? (/^\d+$/.test(key!) ? Number(key) : key!)];
    }
    if (value === undefined) throw new PyError(head === "" || /^\d+$/.test(head) ? "IndexError" : "KeyError", `Replacement index ${head || auto - 1} out of range for positional args tuple`);
    if (conversion === "r" || conversion === "a") value = pyRepr(value);
    else if (conversion === "s") value = pyStr(value);
    return formatSpec(value, spec ?? "");
  });
}

/** Python's format(value, spec) for the common specs: fill, align, sign, width, grouping, precision, type. */
export function formatSpec(value: unknown, spec: string): string {
  if (!spec) return pyStr(value);
  const m = /^(?:(.)?([<>^=]))?([-+ ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/.exec(spec);
  if (!m) throw new PyError("ValueError", `Invalid format specifier '${spec}'`);
  const [, fillChar, alignChar, signChar, , zero, widthText, grouping, precisionText, type] = m;
  const width = widthText ? Number(widthText) : 0;
  const precision = precisionText === undefined ? undefined : Number(precisionText);
  let body: string;
  let sign = "";
  const isNum = isNumber(value) || typeof value === "boolean";
  if (isNum && type !== "s") {
    const n = num(value);
    if (n < 0) sign = "-";
    else if (signChar === "+" || signChar === " ") sign = signChar;
    const abs = Math.abs(n);
    switch (type) {
      case "x":
        body = Math.trunc(abs).toString(16);
        break;
      case "X":
        body = Math.trunc(abs).toString(16).toUpperCase();
        break;
      case "o":
        body = Math.trunc(abs).toString(8);
        break;
      case "b":
        body = Math.trunc(abs).toString(2);
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
      case "%":
        body = `${toFixed(abs * 100, precision ?? 6)}%`;
        break;
      case "g":
      case "G":
        body = general(abs, precision ?? 6);
        break;
      default:
        body = precision !== undefined ? general(abs, precision) : pyStr(abs);
    }
    if (grouping) {
      const [int, frac] = body.split(".");
      body = int!.replace(/\B(?=(\d{3})+(?!\d))/g, grouping) + (frac !== undefined ? `.${frac}` : "");
    }
  } else {
    body = pyStr(value);
    if (precision !== undefined) body = body.slice(0, precision);
  }
  const fill = fillChar ?? (zero && !alignChar ? "0" : " ");
  const align = alignChar ?? (zero ? "=" : isNum && type !== "s" ? ">" : "<");
  const total = sign.length + body.length;
  if (total >= width) return sign + body;
  const pad = width - total;
  switch (align) {
    case "<":
      return sign + body + fill.repeat(pad);
    case ">":
      return fill.repeat(pad) + sign + body;
    case "^":
      return fill.repeat(Math.floor(pad / 2)) + sign + body + fill.repeat(pad - Math.floor(pad / 2));
    default:
      return sign + fill.repeat(pad) + body;
  }
}
