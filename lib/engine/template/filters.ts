/**
 * Jinja2's built-in filters and tests with Jinja2's behaviour (nunjucks has
 * its own versions of many, with other rules): keyword arguments by name,
 * Python values in and out, strict about undefined input.
 */
import { center, splitKeywords, toList } from "./methods.ts";
import { add, compare, eq, isDict, isFloat, isNumber, num, order, percentFormat, PyError, PyFloat, PyTuple, tuple, pyRepr, pyStr, toFixed, truthy } from "./python.ts";
import { defined, getattr, Undefined } from "./runtime.ts";

type Filter = (value: any, ...args: any[]) => unknown;

/** Binds positional and keyword arguments to `params` (names, in order) like Python does. */
function withParams(params: string[], fn: (value: any, args: Record<string, any>) => unknown): Filter {
  return (value: unknown, ...raw: unknown[]) => {
    const [positional, keywords] = splitKeywords(raw);
    const args: Record<string, unknown> = { ...keywords };
    positional.forEach((arg, i) => {
      if (i < params.length) args[params[i]!] = arg;
    });
    for (const arg of Object.values(args)) defined(arg);
    return fn(value, args);
  };
}

/** `attribute="a.b"` or an index: Jinja2's make_attrgetter. */
function attrGetter(attribute: unknown): (item: unknown) => unknown {
  if (attribute === undefined || attribute === null) return (item) => item;
  const parts = typeof attribute === "number" ? [attribute] : String(attribute).split(".").map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  return (item) => parts.reduce((value: unknown, part) => defined(getattr(value, part)), item);
}

const text = (value: unknown): string => pyStr(defined(value));

function sortKey(caseSensitive: boolean) {
  return (value: unknown) => (!caseSensitive && typeof value === "string" ? value.toLowerCase() : value);
}

function sorted(items: unknown[], key: (item: unknown) => unknown, reverse = false): unknown[] {
  const decorated = items.map((item, index) => ({ item, key: key(item), index }));
  decorated.sort((a, b) => order(a.key, b.key) || a.index - b.index);
  if (reverse) {
    // Python's sort(reverse=True) keeps equal items in their original order.
    decorated.sort((a, b) => order(b.key, a.key) || a.index - b.index);
  }
  return decorated.map((entry) => entry.item);
}

const escapeMap: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;" };
const escape = (value: unknown) => text(value).replace(/[&<>"']/g, (c) => escapeMap[c]!);

/** Python's `round(x, precision)`: correctly rounded, an exact tie to the even digit. */
function roundHalfEven(x: number, precision: number): number {
  if (precision >= 0) return Number(toFixed(x, precision));
  const factor = 10 ** -precision;
  return Number(toFixed(x / factor, 0)) * factor;
}

function toInt(value: unknown, fallback: unknown, base: number): unknown {
  if (typeof value === "string") {
    const trimmed = value.trim().replace(/_/g, "");
    if (base === 10 || base === 0) {
      if (/^[-+]?\d+$/.test(trimmed)) return Number.parseInt(trimmed, 10);
      const prefixed = /^([-+]?)0([xob])([0-9a-f]+)$/i.exec(trimmed);
      if (base === 0 && prefixed) return Number.parseInt(prefixed[1]! + prefixed[3]!, { x: 16, o: 8, b: 2 }[prefixed[2]!.toLowerCase()]!);
      if (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(trimmed)) return Math.trunc(Number(trimmed));
      return fallback;
    }
    const body = trimmed.replace(new RegExp(`^([-+]?)0${{ 16: "x", 8: "o", 2: "b" }[base] ?? "#"}`, "i"), "$1");
    const digits = "0123456789abcdefghijklmnopqrstuvwxyz".slice(0, base);
    if (!new RegExp(`^[-+]?[${digits}]+$`, "i").test(body)) return fallback;
    return Number.parseInt(body, base);
  }
  if (isNumber(value) || typeof value === "boolean") return Math.trunc(num(value));
  return fallback;
}

function toFloat(value: unknown, fallback: unknown): unknown {
  if (isNumber(value) || typeof value === "boolean") return new PyFloat(num(value));
  if (typeof value === "string" && /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(value)) return new PyFloat(Number(value));
  if (typeof value === "string" && /^\s*[-+]?(inf|infinity|nan)\s*$/i.test(value)) return new PyFloat(Number(value.trim().replace(/inf(inity)?/i, "Infinity").replace(/nan/i, "NaN")));
  return fallback;
}

function wordwrap(value: string, width: number, breakLongWords: boolean, wrapstring: string, breakOnHyphens: boolean): string {
  // Python's textwrap.wrap on each paragraph line, as Jinja2's wordwrap does.
  return value
    .split(/\r\n|\r|\n/)
    .map((line) => {
      const chunks = line.split(breakOnHyphens ? /(\s+|(?<=[a-z]-)(?=[a-z]))/i : /(\s+)/).filter((c) => c !== "" && c !== undefined);
      const lines: string[] = [];
      let current: string[] = [];
      let length = 0;
      const queue = chunks.map((c) => (/^\s+$/.test(c) ? " ".repeat(c.replace(/\t/g, "        ").length) : c));
      while (queue.length) {
        let chunk = queue.shift()!;
        if (/^\s+$/.test(chunk) && current.length === 0 && lines.length) continue;
        if (length + chunk.length <= width) {
          current.push(chunk);
          length += chunk.length;
          continue;
        }
        if (chunk.length > width && breakLongWords && !/^\s+$/.test(chunk)) {
          const room = Math.max(1, width - length);
          current.push(chunk.slice(0, room));
          chunk = chunk.slice(room);
          queue.unshift(chunk);
          length += room;
        } else if (current.length === 0) {
          current.push(chunk);
          length += chunk.length;
        } else {
          queue.unshift(chunk);
        }
        while (current.length && /^\s+$/.test(current[current.length - 1]!)) current.pop();
        if (current.length) lines.push(current.join(""));
        current = [];
        length = 0;
      }
      while (current.length && /^\s+$/.test(current[current.length - 1]!)) current.pop();
      if (current.length) lines.push(current.join(""));
      return lines.join(wrapstring);
    })
    .join(wrapstring);
}

function truncate(value: string, length: number, killwords: boolean, end: string, leeway: number): string {
  if (value.length <= length + leeway) return value;
  if (killwords) return value.slice(0, length - end.length) + end;
  const kept = value.slice(0, length - end.length);
  const space = kept.lastIndexOf(" ");
  return (space >= 0 ? kept.slice(0, space) : kept) + end;
}

function filesizeformat(value: unknown, binary: boolean): string {
  const bytes = num(value);
  const base = binary ? 1024 : 1000;
  const prefixes = binary ? ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"] : ["kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
  if (bytes === 1) return "1 Byte";
  if (bytes < base) return `${bytes} Bytes`;
  let unit = base;
  let prefix = prefixes[0]!;
  for (let i = 0; i < prefixes.length; i++) {
    unit = base ** (i + 2);
    prefix = prefixes[i]!;
    if (bytes < unit) break;
  }
  return `${toFixed((base * bytes) / unit, 1)} ${prefix}`;
}

function indent(value: string, width: number | string, first: boolean, blank: boolean): string {
  const prefix = typeof width === "string" ? width : " ".repeat(width);
  let newline = "\n";
  value += newline; // Jinja2 adds one so a trailing blank line is not indented
  let rv: string;
  if (blank) rv = value.split("\n").slice(0, -1).join(newline + prefix);
  else {
    const lines = value.split("\n").slice(0, -1);
    rv = lines.shift() ?? "";
    if (lines.length) rv += newline + lines.map((line) => (line ? prefix + line : line)).join(newline);
  }
  if (first) rv = prefix + rv;
  newline = "";
  return rv + newline;
}

function tojson(value: unknown, indentBy?: number): string {
  const convert = (v: unknown): unknown => (v instanceof PyFloat ? v.value : v instanceof Undefined ? defined(v) : v);
  // Jinja2 dumps with sort_keys=True.
  const json = JSON.stringify(value, (_key, v) => {
    const c = convert(v);
    return isDict(c) ? Object.fromEntries(Object.entries(c).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : c;
  }, indentBy);
  // Python's json.dumps separators and Jinja2's htmlsafe escaping.
  const spaced = indentBy === undefined ? respace(json) : json;
  return spaced.replace(/[<>&']/g, (c) => ({ "<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027" })[c]!);
}

/** JSON.stringify's compact form with Python's `", "` and `": "` separators (outside strings). */
function respace(json: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i]!;
    out += c;
    if (inString) {
      if (c === "\\") out += json[++i];
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "," || c === ":") out += " ";
  }
  return out;
}

function groupby(value: unknown, attribute: unknown, fallback: unknown): unknown[] {
  const get = attrGetter(attribute);
  const key = (item: unknown) => {
    const v = getattr(item, attribute as string);
    if (v instanceof Undefined) return fallback === undefined ? defined(v) : fallback;
    return get(item);
  };
  const groups: { grouper: unknown; list: unknown[] }[] = [];
  for (const item of sorted(toList(defined(value)), key)) {
    const k = key(item);
    const last = groups[groups.length - 1];
    if (last && eq(last.grouper, k)) last.list.push(item);
    else groups.push({ grouper: k, list: [item] });
  }
  return groups.map((g) => new GroupTuple(g.grouper, g.list));
}

/** groupby's result: a (grouper, list) tuple whose fields also have names. */
class GroupTuple extends PyTuple<unknown> {
  constructor(readonly grouper: unknown, readonly list: unknown[]) {
    super();
    this.push(grouper, list);
  }
}

type Tests = Record<string, (value: unknown, ...args: unknown[]) => boolean>;

/** Jinja2's tests (`is defined`, `is divisibleby 3`, ...). */
export const tests: Tests = {
  defined: (v) => !(v instanceof Undefined),
  undefined: (v) => v instanceof Undefined,
  none: (v) => defined(v) === null,
  boolean: (v) => typeof defined(v) === "boolean",
  true: (v) => defined(v) === true,
  false: (v) => defined(v) === false,
  number: (v) => isNumber(defined(v)),
  integer: (v) => typeof defined(v) === "number" && Number.isInteger(v),
  float: (v) => isFloat(defined(v)) || (typeof v === "number" && !Number.isInteger(v)),
  string: (v) => typeof defined(v) === "string",
  mapping: (v) => isDict(defined(v)) || v instanceof Map,
  sequence: (v) => typeof defined(v) === "string" || Array.isArray(v) || isDict(v),
  iterable: (v) => typeof defined(v) === "string" || Array.isArray(v) || isDict(v) || (v !== null && typeof v === "object" && Symbol.iterator in v),
  callable: (v) => typeof defined(v) === "function",
  sameas: (v, other) => v === other,
  escaped: () => false,
  odd: (v) => num(defined(v)) % 2 !== 0,
  even: (v) => num(defined(v)) % 2 === 0,
  divisibleby: (v, n) => num(defined(v)) % num(n) === 0,
  lower: (v) => text(v) === text(v).toLowerCase(),
  upper: (v) => text(v) === text(v).toUpperCase(),
  in: (v, container) => toList(defined(container)).some((x) => eq(x, v)) || (typeof container === "string" && container.includes(String(v))),
};
for (const [names, op] of [[["eq", "equalto", "=="], "=="], [["ne", "!="], "!="], [["lt", "lessthan", "<"], "<"], [["le", "<="], "<="], [["gt", "greaterthan", ">"], ">"], [["ge", ">="], ">="]] as const) {
  for (const name of names) tests[name] = (v, other) => compare(defined(v), op, defined(other));
}

function selectOrReject(select: boolean, byAttribute: boolean): Filter {
  return (value: unknown, ...raw: unknown[]) => {
    const [args] = splitKeywords(raw);
    const [first, testName, ...testArgs] = byAttribute ? args : [undefined, ...args];
    const get = byAttribute ? attrGetter(first) : (item: unknown) => item;
    const check = testName === undefined ? (v: unknown) => truthy(v) : (v: unknown) => {
      const t = tests[String(testName)];
      if (!t) throw new PyError("TemplateRuntimeError", `No test named '${String(testName)}'.`);
      return t(v, ...testArgs);
    };
    return toList(defined(value)).filter((item) => check(get(item)) === select);
  };
}

export function makeFilters(lookupFilter: (name: string) => Filter): Record<string, Filter> {
  const filters: Record<string, Filter> = {
    abs: (v) => (isFloat(v) ? new PyFloat(Math.abs(v.value)) : Math.abs(num(defined(v)))),
    attr: (v, name) => getattr(defined(v), name),
    batch: withParams(["linecount", "fill_with"], (v, a) => {
      const items = toList(defined(v));
      const rows: unknown[][] = [];
      for (let i = 0; i < items.length; i += a.linecount) rows.push(items.slice(i, i + a.linecount));
      const last = rows[rows.length - 1];
      if (last && a.fill_with !== undefined && a.fill_with !== null) while (last.length < a.linecount) last.push(a.fill_with);
      return rows;
    }),
    capitalize: (v) => {
      const s = text(v);
      return s ? s[0]!.toUpperCase() + s.slice(1).toLowerCase() : s;
    },
    center: withParams(["width"], (v, a) => center(text(v), a.width ?? 80)),
    count: (v) => toList(defined(v)).length,
    default: withParams(["default_value", "boolean"], (v, a) => {
      const fallback = a.default_value ?? "";
      if (v instanceof Undefined || (a.boolean && !truthy(v))) return fallback;
      return v;
    }),
    dictsort: withParams(["case_sensitive", "by", "reverse"], (v, a) => {
      const index = a.by === "value" ? 1 : 0;
      const key = sortKey(Boolean(a.case_sensitive));
      return sorted(Object.entries(defined(v)).map((e) => tuple(e)), (pair) => key((pair as unknown[])[index]), Boolean(a.reverse));
    }),
    escape: (v) => escape(v),
    first: (v) => {
      const items = toList(defined(v));
      return items.length ? items[0] : new Undefined("No first item, sequence was empty.");
    },
    float: withParams(["default"], (v, a) => toFloat(defined(v), a.default ?? new PyFloat(0))),
    forceescape: (v) => escape(v),
    format: (v, ...args) => {
      const [positional, keywords] = splitKeywords(args);
      return Object.keys(keywords).length ? percentFormat(text(v), keywords) : percentFormat(text(v), tuple(positional));
    },
    groupby: withParams(["attribute", "default"], (v, a) => groupby(v, a.attribute, a.default)),
    indent: withParams(["width", "first", "blank"], (v, a) => indent(text(v), a.width ?? 4, Boolean(a.first), Boolean(a.blank))),
    int: withParams(["default", "base"], (v, a) => toInt(defined(v), a.default ?? 0, a.base ?? 10)),
    items: (v) => (v instanceof Undefined ? [] : Object.entries(v).map((e) => tuple(e))),
    join: withParams(["d", "attribute"], (v, a) => toList(defined(v)).map(attrGetter(a.attribute)).map((item) => pyStr(defined(item))).join(a.d ?? "")),
    last: (v) => {
      const items = toList(defined(v));
      return items.length ? items[items.length - 1] : new Undefined("No last item, sequence was empty.");
    },
    length: (v) => toList(defined(v)).length,
    list: (v) => [...toList(defined(v))],
    lower: (v) => text(v).toLowerCase(),
    map: (v, ...raw) => {
      const [args, keywords] = splitKeywords(raw);
      const items = toList(defined(v));
      if (keywords.attribute !== undefined) {
        return items.map((item) => {
          const value = attrValue(item, keywords.attribute);
          return value instanceof Undefined && keywords.default !== undefined ? keywords.default : defined(value);
        });
      }
      const [name, ...filterArgs] = args;
      const filter = lookupFilter(String(name));
      return items.map((item) => filter(item, ...filterArgs));
    },
    max: withParams(["case_sensitive", "attribute"], (v, a) => extreme(v, a, 1)),
    min: withParams(["case_sensitive", "attribute"], (v, a) => extreme(v, a, -1)),
    pprint: (v) => pyRepr(defined(v)),
    reject: selectOrReject(false, false),
    rejectattr: selectOrReject(false, true),
    replace: withParams(["old", "new", "count"], (v, a) => {
      const s = text(v);
      const parts = s.split(String(a.old));
      if (a.count === undefined || a.count === null || a.count < 0) return parts.join(String(a.new));
      return parts.slice(0, a.count + 1).join(String(a.new)) + (parts.length > a.count + 1 ? String(a.old) + parts.slice(a.count + 1).join(String(a.old)) : "");
    }),
    reverse: (v) => (typeof defined(v) === "string" ? [...v].reverse().join("") : [...toList(v)].reverse()),
    round: withParams(["precision", "method"], (v, a) => {
      const x = num(defined(v));
      if (typeof v === "number" && Number.isInteger(v) && (a.method ?? "common") === "common") return v;
      const precision = a.precision ?? 0;
      const method = a.method ?? "common";
      const factor = 10 ** precision;
      if (method === "ceil") return new PyFloat(Math.ceil(x * factor) / factor);
      if (method === "floor") return new PyFloat(Math.floor(x * factor) / factor);
      if (method !== "common") throw new PyError("FilterArgumentError", "method must be common, ceil or floor");
      return new PyFloat(roundHalfEven(x, precision));
    }),
    safe: (v) => defined(v),
    select: selectOrReject(true, false),
    selectattr: selectOrReject(true, true),
    slice: withParams(["slices", "fill_with"], (v, a) => {
      const items = toList(defined(v));
      const perSlice = Math.floor(items.length / a.slices);
      const extra = items.length % a.slices;
      const out: unknown[][] = [];
      let offset = 0;
      for (let i = 0; i < a.slices; i++) {
        const size = perSlice + (i < extra ? 1 : 0);
        const part = items.slice(offset, offset + size);
        offset += size;
        if (a.fill_with !== undefined && a.fill_with !== null && i >= extra && extra > 0) part.push(a.fill_with);
        out.push(part);
      }
      return out;
    }),
    sort: withParams(["reverse", "case_sensitive", "attribute"], (v, a) => {
      const get = attrGetter(a.attribute);
      const key = sortKey(Boolean(a.case_sensitive));
      return sorted(toList(defined(v)), (item) => key(get(item)), Boolean(a.reverse));
    }),
    string: (v) => text(v),
    striptags: (v) => text(v).replace(/<!--.*?-->|<[^>]*>/gs, "").replace(/\s+/g, " ").trim(),
    sum: withParams(["attribute", "start"], (v, a) => toList(defined(v)).map(attrGetter(a.attribute)).reduce((total, item) => add(total, item), a.start ?? 0)),
    title: (v) => text(v).replace(/([^\s\-([{]+)/g, (w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase()),
    tojson: withParams(["indent"], (v, a) => tojson(defined(v), a.indent ?? undefined)),
    trim: withParams(["chars"], (v, a) => {
      const s = text(v);
      if (a.chars === undefined || a.chars === null) return s.trim();
      let start = 0;
      let end = s.length;
      while (start < end && a.chars.includes(s[start])) start++;
      while (end > start && a.chars.includes(s[end - 1])) end--;
      return s.slice(start, end);
    }),
    truncate: withParams(["length", "killwords", "end", "leeway"], (v, a) => truncate(text(v), a.length ?? 255, Boolean(a.killwords), a.end ?? "...", a.leeway ?? 5)),
    unique: withParams(["case_sensitive", "attribute"], (v, a) => {
      const get = attrGetter(a.attribute);
      const key = sortKey(Boolean(a.case_sensitive));
      const seen: unknown[] = [];
      const out: unknown[] = [];
      for (const item of toList(defined(v))) {
        const k = key(get(item));
        if (!seen.some((s) => eq(s, k))) {
          seen.push(k);
          out.push(item);
        }
      }
      return out;
    }),
    upper: (v) => text(v).toUpperCase(),
    urlencode: (v) => {
      const value = defined(v);
      const encode = (s: unknown) => encodeURIComponent(pyStr(s)).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
      // Jinja2's url_quote: a string keeps '/'; query-string pairs quote it and write a space as '+'.
      const forQuery = (s: unknown) => encode(s).replace(/%20/g, "+");
      const pairs = isDict(value) ? Object.entries(value) : Array.isArray(value) ? value.map((pair) => toList(pair)) : undefined;
      if (pairs) return pairs.map(([k, x]) => `${forQuery(k)}=${forQuery(x)}`).join("&");
      return encode(value).replace(/%2F/g, "/");
    },
    wordcount: (v) => (text(v).match(/\w+/g) ?? []).length,
    wordwrap: withParams(["width", "break_long_words", "wrapstring", "break_on_hyphens"], (v, a) =>
      wordwrap(text(v), a.width ?? 79, a.break_long_words ?? true, a.wrapstring ?? "\n", a.break_on_hyphens ?? true),
    ),
    xmlattr: (v) => Object.entries(defined(v)).filter(([, x]) => x !== null && !(x instanceof Undefined)).map(([k, x]) => ` ${k}="${escape(x)}"`).join(""),
    filesizeformat: withParams(["binary"], (v, a) => filesizeformat(defined(v), Boolean(a.binary))),
  };
  filters.d = filters.default!;
  filters.e = filters.escape!;
  return filters;
}

function attrValue(item: unknown, attribute: unknown): unknown {
  const parts = typeof attribute === "number" ? [attribute] : String(attribute).split(".");
  let value: unknown = item;
  for (const part of parts) {
    value = getattr(value, /^\d+$/.test(String(part)) ? Number(part) : part);
    if (value instanceof Undefined) return value;
  }
  return value;
}

function extreme(value: unknown, a: Record<string, any>, sign: number): unknown {
  const items = toList(defined(value));
  if (!items.length) return new Undefined(`No aggregated item, sequence was empty.`);
  const get = attrGetter(a.attribute);
  const key = sortKey(Boolean(a.case_sensitive));
  return items.reduce((best, item) => (sign * order(key(get(item)), key(get(best))) > 0 ? item : best));
}

