/**
 * Python expressions and statements of batou components as TypeScript, for the
 * subset whose meaning carries over unchanged: literals, names, `self.` attributes
 * and helpers, calls of library classes with a counterpart, resources, simple
 * control flow. Whatever is outside it translates to `null`, and the caller keeps
 * that statement as commented Python marked `TODO(migrate)`: a wrong translation
 * would be worse than none. Python's truthiness (`[]` is false) and operators
 * (`[1] + [2]`, `"-" * 3`) differ from JavaScript's, so those are translated only
 * where the operands show their types.
 */
import { argument, dottedName, qualify } from "./component-model.ts";
import { CAUGHT, COMMAND_ERROR_ATTRIBUTES, EXCEPTIONS, LIBRARY, type Counterpart } from "./library-map.ts";
import type { PyNode } from "./python-ast.ts";

/** What translating one component file needs and collects. */
export interface Scope {
  imports: Map<string, string>;
  /** Classes of this file (translated as they are named). */
  classes: Set<string>;
  /** Names "batou" exports (a counterpart is used only when it exists). */
  available: Set<string>;
  /** Names to import from "batou". */
  uses: Set<string>;
  /** node: modules → names to import from them. */
  nodeImports: Map<string, Set<string>>;
  /** Report lines about differences in what was translated. */
  notes: Set<string>;
  /** Module-level names this file defines (constants, functions). */
  globals: Set<string>;
  /** The Python source, by line (0-based), for how a number was written. */
  source: string[];
}

/** Per method: whether it may await, its locals, fields assigned on `this`, boolean fields. */
export interface MethodContext {
  scope: Scope;
  method: string;
  async: boolean;
  locals: Set<string>;
  /** Locals assigned more than once (declared with let). */
  reassigned: Set<string>;
  /** Fields the class must declare because a method assigns them. */
  assignedFields: Map<string, string>;
  /** Attributes of the class whose default is a boolean (safe as conditions). */
  booleanFields: Set<string>;
  /** Methods of the class that are async here (calls to them are awaited). */
  asyncMethods: Set<string>;
  /** Locals holding a file component of the library (their `.path` is mapped when read). */
  fileLocals?: Set<string>;
  /** Locals bound by `except CmdExecutionError as e` (their attributes are CommandError's). */
  commandErrorLocals?: Set<string>;
  /** Inside an `except` clause: the caught error's name (a bare `raise` throws it again). */
  caughtError?: string;
}

type T = string | null;

const SELF_PROPERTIES: Record<string, string> = {
  host: "this.host",
  environment: "this.environment",
  workdir: "this.workdir",
  defdir: "this.defdir",
  root: "this.root",
  parent: "this.parent",
  sub_components: "this.subComponents",
  recursive_sub_components: "this.recursiveSubComponents()",
  changed: "this.changed",
};

/** Attribute names of batou's API objects that are spelled differently here. */
const API_ATTRIBUTES: Record<string, string> = {
  listen_v6: "listenV6",
  secret_files: "secretFiles",
  service_user: "serviceUser",
  host_domain: "hostDomain",
  target_directory: "targetDirectory",
};

const STRING_METHODS: Record<string, string> = {
  startswith: "startsWith",
  endswith: "endsWith",
  upper: "toUpperCase",
  lower: "toLowerCase",
  strip: "trim",
  lstrip: "trimStart",
  rstrip: "trimEnd",
};

const NODE_FUNCTIONS: Record<string, [module: string, name: string]> = {
  "os.path.join": ["node:path", "join"],
  "os.path.basename": ["node:path", "basename"],
  "os.path.dirname": ["node:path", "dirname"],
  "os.path.exists": ["node:fs", "existsSync"],
  "os.path.isdir": ["node:fs", "existsSync"],
};

function useNode(scope: Scope, module: string, name: string): string {
  const names = scope.nodeImports.get(module) ?? new Set<string>();
  names.add(name);
  scope.nodeImports.set(module, names);
  return name;
}

/** A JavaScript string literal for `text`. */
function jsString(text: string): string {
  return JSON.stringify(text);
}

function isStr(node: PyNode): boolean {
  return (node._type === "Constant" && typeof node.value === "string") || node._type === "JoinedStr";
}

function isNumber(node: PyNode): boolean {
  return node._type === "Constant" && node.value !== null && typeof node.value === "object" && (node.value._type === "int" || node.value._type === "float");
}

/** A number, or arithmetic of numbers only (`100 * 1024 + 1`): JavaScript computes it as Python does. */
function isNumeric(node: PyNode): boolean {
  if (isNumber(node)) return true;
  if (node._type === "UnaryOp") return (node.op._type === "USub" || node.op._type === "UAdd") && isNumeric(node.operand);
  return node._type === "BinOp" && ["Add", "Sub", "Mult", "Mod", "FloorDiv"].includes(node.op._type) && isNumeric(node.left) && isNumeric(node.right);
}

function isListLike(node: PyNode): boolean {
  return node._type === "List" || node._type === "Tuple" || node._type === "ListComp";
}

/** The class an expression names (`File`, `batou.lib.file.File`) as a counterpart or a class of this file. */
function classOf(node: PyNode, ctx: MethodContext): { counterpart?: Counterpart; local?: string; qualified: string } | null {
  const name = dottedName(node);
  if (name === null) return null;
  if (ctx.scope.classes.has(name)) return { local: name, qualified: name };
  const qualified = qualify(name, ctx.scope.imports);
  const counterpart = LIBRARY[qualified];
  if (counterpart && ctx.scope.available.has(counterpart.name)) return { counterpart, qualified };
  return null;
}

/** Translates an expression; null when it is outside the safe subset. */
export function expr(node: PyNode, ctx: MethodContext): T {
  switch (node._type) {
    case "Constant": {
      const v = node.value;
      if (typeof v === "string") return jsString(v);
      if (typeof v === "boolean") return String(v);
      if (v === null) return "null";
      if (v._type === "int") {
        if (v.value.length > 15) return null;
        // 0o755 stays 0o755 (JavaScript has the same spelling); 0755-style is not Python 3
        const written = ctx.scope.source[(node.lineno ?? 0) - 1]?.slice(node.col_offset, node.end_lineno === node.lineno ? node.end_col_offset : undefined);
        return written && /^0[oOxXbB][0-9a-fA-F_]+$/.test(written) ? written.replace(/_/g, "").toLowerCase() : v.value;
      }
      if (v._type === "float") return v.value;
      return null;
    }
    case "JoinedStr": {
      let out = "`";
      for (const part of node.values as PyNode[]) {
        if (part._type === "Constant") out += String(part.value).replace(/[`\\]|\$\{/g, (m) => `\\${m}`);
        else if (part._type === "FormattedValue" && part.conversion === -1 && !part.format_spec) {
          const inner = expr(part.value, ctx);
          if (inner === null) return null;
          out += `\${${inner}}`;
        } else return null;
      }
      return `${out}\``;
    }
    case "Name":
      return name(node.id, ctx);
    case "Attribute":
      return attribute(node, ctx);
    case "Call":
      return call(node, ctx);
    case "List":
    case "Tuple":
      return list(node.elts, ctx);
    case "Dict": {
      const entries: string[] = [];
      for (let i = 0; i < node.keys.length; i++) {
        const key = node.keys[i] as PyNode | null;
        const value = expr(node.values[i], ctx);
        if (value === null) return null;
        if (key === null) {
          entries.push(`...${value}`);
          continue;
        }
        if (key._type === "Constant" && typeof key.value === "string") entries.push(`${jsString(key.value)}: ${value}`);
        else return null;
      }
      return entries.length ? `{ ${entries.join(", ")} }` : "{}";
    }
    case "BinOp":
      return binOp(node, ctx);
    case "UnaryOp": {
      if (node.op._type === "USub" || node.op._type === "UAdd") {
        const operand = expr(node.operand, ctx);
        return operand === null ? null : `${node.op._type === "USub" ? "-" : "+"}${operand}`;
      }
      if (node.op._type === "Not") {
        const operand = condition(node.operand, ctx);
        return operand === null ? null : `!(${operand})`;
      }
      return null;
    }
    case "BoolOp": {
      const parts = (node.values as PyNode[]).map((v) => condition(v, ctx));
      if (parts.some((p) => p === null)) return null;
      return parts.map((p) => `(${p})`).join(node.op._type === "And" ? " && " : " || ");
    }
    case "Compare":
      return compare(node, ctx);
    case "IfExp": {
      const test = condition(node.test, ctx);
      const body = expr(node.body, ctx);
      const orelse = expr(node.orelse, ctx);
      return test === null || body === null || orelse === null ? null : `(${test} ? ${body} : ${orelse})`;
    }
    case "Subscript":
      return subscript(node, ctx);
    case "ListComp":
      return comprehension(node, ctx);
    case "Lambda": {
      const params = (node.args.args as PyNode[]).map((a) => a.arg);
      if (node.args.vararg || node.args.kwarg || node.args.kwonlyargs.length || node.args.defaults.length) return null;
      const inner: MethodContext = { ...ctx, locals: new Set([...ctx.locals, ...params]) };
      const body = expr(node.body, inner);
      return body === null ? null : `(${params.map((p) => `${p}: any`).join(", ")}) => ${body}`;
    }
    default:
      return null;
  }
}

function list(elements: PyNode[], ctx: MethodContext): T {
  const items: string[] = [];
  for (const element of elements) {
    if (element._type === "Starred") {
      const inner = expr(element.value, ctx);
      if (inner === null) return null;
      items.push(`...${inner}`);
      continue;
    }
    const item = expr(element, ctx);
    if (item === null) return null;
    items.push(item);
  }
  return `[${items.join(", ")}]`;
}

function name(id: string, ctx: MethodContext): T {
  if (id === "self") return "this";
  if (ctx.locals.has(id) || ctx.scope.globals.has(id)) return id;
  if (ctx.scope.classes.has(id)) return id;
  return null;
}

function attribute(node: PyNode, ctx: MethodContext): T {
  const base = node.value as PyNode;
  if (base._type === "Name" && base.id === "self") {
    const mapped = SELF_PROPERTIES[node.attr];
    if (mapped) return mapped;
    if (node.attr === "_" || node.attr.startsWith("__")) return null;
    return `this.${node.attr}`;
  }
  const inner = expr(base, ctx);
  if (inner === null) return null;
  if (inner === "this.host" && node.attr === "aliases") return null;
  // batou's file components hold the mapped (absolute) path once configured; here the path as given
  if (node.attr === "path" && base._type === "Name" && ctx.fileLocals?.has(base.id)) return `this.map(${inner}.path)`;
  if (base._type === "Name" && ctx.commandErrorLocals?.has(base.id)) return `${inner}.${COMMAND_ERROR_ATTRIBUTES[node.attr] ?? node.attr}`;
  return `${inner}.${API_ATTRIBUTES[node.attr] ?? node.attr}`;
}

/** An expression used as a condition: only where Python's and JavaScript's truthiness agree. */
export function condition(node: PyNode, ctx: MethodContext): T {
  if (node._type === "Compare" || node._type === "BoolOp") return expr(node, ctx);
  if (node._type === "UnaryOp" && node.op._type === "Not") return expr(node, ctx);
  if (node._type === "Constant" && typeof node.value === "boolean") return String(node.value);
  if (node._type === "Name" && (node.id === "predicting" && ctx.locals.has("predicting"))) return "predicting";
  if (node._type === "Attribute" && node.value._type === "Name" && node.value.id === "self" && ctx.booleanFields.has(node.attr)) {
    return `this.${node.attr}`;
  }
  return null;
}

const BIN_OPS: Record<string, string> = { Add: "+", Sub: "-", Mult: "*", Div: "/", Mod: "%" };

function binOp(node: PyNode, ctx: MethodContext): T {
  const op = node.op._type as string;
  const left = expr(node.left, ctx);
  const right = expr(node.right, ctx);
  if (left === null || right === null) return null;
  if (op === "Add") {
    if (isStr(node.left) || isStr(node.right)) return `${left} + ${right}`;
    if (isListLike(node.left) || isListLike(node.right)) {
      const spread = (n: PyNode, t: string) => (n._type === "List" || n._type === "Tuple" ? t.slice(1, -1) : `...${t}`);
      return `[${[spread(node.left, left), spread(node.right, right)].filter(Boolean).join(", ")}]`;
    }
    if (isNumeric(node.left) && isNumeric(node.right)) return `(${left} + ${right})`;
    return null;
  }
  // "-" * n and n * "-": Python repeats the string
  if (op === "Mult" && isStr(node.left) && !isStr(node.right)) return `${left}.repeat(${right})`;
  if (op === "Mult" && isStr(node.right) && isNumeric(node.left)) return `${right}.repeat(${left})`;
  if ((op === "Sub" || op === "Div") && !isStr(node.left) && !isListLike(node.left)) return `(${left} ${BIN_OPS[op]} ${right})`;
  if ((op === "Mult" || op === "Mod") && isNumeric(node.left) && isNumeric(node.right)) return `(${left} ${BIN_OPS[op]} ${right})`;
  if (op === "FloorDiv" && isNumber(node.right)) return `Math.floor(${left} / ${right})`;
  return null;
}

function isPrimitiveLiteral(node: PyNode): boolean {
  return node._type === "Constant" && (node.value === null || typeof node.value !== "object" || isNumber(node));
}

function compare(node: PyNode, ctx: MethodContext): T {
  if (node.ops.length !== 1) return null;
  const op = node.ops[0]._type as string;
  const leftNode = node.left as PyNode;
  const rightNode = node.comparators[0] as PyNode;
  const left = expr(leftNode, ctx);
  const right = expr(rightNode, ctx);
  if (left === null || right === null) return null;
  const primitive = isPrimitiveLiteral(leftNode) || isPrimitiveLiteral(rightNode) || isStr(leftNode) || isStr(rightNode);
  switch (op) {
    case "Is":
      return rightNode._type === "Constant" && rightNode.value === null ? `${left} == null` : null;
    case "IsNot":
      return rightNode._type === "Constant" && rightNode.value === null ? `${left} != null` : null;
    case "Eq":
      return primitive ? `${left} === ${right}` : null;
    case "NotEq":
      return primitive ? `${left} !== ${right}` : null;
    case "Lt":
    case "Gt":
    case "LtE":
    case "GtE":
      return isNumber(leftNode) || isNumber(rightNode) ? `${left} ${{ Lt: "<", Gt: ">", LtE: "<=", GtE: ">=" }[op]} ${right}` : null;
    case "In":
    case "NotIn": {
      if (!(isListLike(rightNode) || isStr(rightNode))) return null;
      const test = `${right}.includes(${left})`;
      return op === "In" ? test : `!${test}`;
    }
    default:
      return null;
  }
}

function subscript(node: PyNode, ctx: MethodContext): T {
  const value = expr(node.value, ctx);
  if (value === null) return null;
  const index = node.slice as PyNode;
  if (index._type === "Slice") {
    if (index.step) return null;
    const lower = index.lower ? expr(index.lower, ctx) : "0";
    const upper = index.upper ? expr(index.upper, ctx) : undefined;
    if (lower === null || upper === null) return null;
    return `${value}.slice(${lower}${upper === undefined ? "" : `, ${upper}`})`;
  }
  if (index._type === "UnaryOp" && index.op._type === "USub" && isNumber(index.operand)) return `${value}.at(-${index.operand.value.value})`;
  const key = expr(index, ctx);
  return key === null ? null : `${value}[${key}]`;
}

/** `[f(x) for x in xs if c(x)]` → `xs.filter((x) => c(x)).map((x) => f(x))`. */
function comprehension(node: PyNode, ctx: MethodContext): T {
  if (node.generators.length !== 1) return null;
  const generator = node.generators[0] as PyNode;
  if (generator.is_async) return null;
  const target = generator.target as PyNode;
  const names = target._type === "Name" ? [target.id] : target._type === "Tuple" && target.elts.every((e: PyNode) => e._type === "Name") ? target.elts.map((e: PyNode) => e.id) : null;
  if (!names) return null;
  const param = target._type === "Name" ? `(${names[0]}: any)` : `([${names.join(", ")}]: any)`;
  const source = iterable(generator.iter, ctx);
  if (source === null) return null;
  const inner: MethodContext = { ...ctx, locals: new Set([...ctx.locals, ...names]) };
  let out = source;
  for (const test of generator.ifs as PyNode[]) {
    const cond = condition(test, inner);
    if (cond === null) return null;
    out += `.filter(${param} => ${cond})`;
  }
  const element = expr(node.elt, inner);
  if (element === null) return null;
  return `${out}.map(${param} => ${element})`;
}

/** What a `for` iterates: `d.items()` → `Object.entries(d)`, a list as it is. */
export function iterable(node: PyNode, ctx: MethodContext): T {
  if (node._type === "Call" && node.func._type === "Attribute" && node.args.length === 0) {
    const method = { items: "entries", keys: "keys", values: "values" }[node.func.attr as string];
    if (method) {
      const object = expr(node.func.value, ctx);
      return object === null ? null : `Object.${method}(${object})`;
    }
  }
  if (node._type === "Call" && dottedName(node.func) === "range" && node.args.length <= 2 && node.keywords.length === 0) {
    const bounds = (node.args as PyNode[]).map((a) => expr(a, ctx));
    if (bounds.some((b) => b === null)) return null;
    const [from, to] = bounds.length === 1 ? ["0", bounds[0]] : bounds;
    return `Array.from({ length: ${to} - ${from} }, (_, i) => ${from} + i)`;
  }
  if (isListLike(node) || node._type === "Attribute" || node._type === "Name" || node._type === "Call") return expr(node, ctx);
  return null;
}

/** Keyword arguments as an options object, renamed by `rules` (`undefined` rules: names kept). */
function options(call: PyNode, ctx: MethodContext, rules: Record<string, unknown> | undefined, what: string): { text: string; keys: string[] } | null {
  const entries: string[] = [];
  const keys: string[] = [];
  for (const keyword of call.keywords as PyNode[]) {
    if (keyword.arg === null) return null;
    let key: string = keyword.arg;
    let value = expr(keyword.value, ctx);
    if (rules) {
      const rule = rules[key] as string | { name: string; convert: string } | null | undefined;
      if (rule === undefined) {
        ctx.scope.notes.add(`${what}: option ${key} has no counterpart here`);
        return null;
      }
      if (rule === null) continue;
      if (typeof rule === "object") {
        key = rule.name;
        const text = keyword.value as PyNode;
        value = text._type === "Constant" && typeof text.value === "string" ? JSON.stringify(text.value.split(",").map((x) => x.trim()).filter(Boolean)) : null;
      } else key = rule;
    }
    if (value === null) return null;
    keys.push(key);
    entries.push(`${/^[A-Za-z_$][\w$]*$/.test(key) ? key : jsString(key)}: ${value}`);
  }
  return { text: entries.length ? `{ ${entries.join(", ")} }` : "", keys };
}

/** `File("x", content="...")`: a template content is expanded, as batou's File did. */
function fileContent(call: PyNode, ctx: MethodContext, built: string): string {
  const content = argument(call, 99, "content");
  const isTemplate = argument(call, 99, "is_template");
  if (!content || (isTemplate && isTemplate._type === "Constant" && isTemplate.value === false)) return built;
  if (content._type === "Constant" && typeof content.value === "string" && !/\{\{|\{%|\{#|^\s*@@/m.test(content.value)) return built;
  const raw = expr(content, ctx)!;
  const args = argument(call, 99, "template_args");
  const extra = args ? `, { args: ${expr(args, ctx)} }` : "";
  return built.replace(`content: ${raw}`, `content: this.expand(${raw}${extra})`);
}

function newCounterpart(call: PyNode, ctx: MethodContext, target: { counterpart?: Counterpart; local?: string; qualified: string }): T {
  const positional = (call.args as PyNode[]).map((a) => expr(a, ctx));
  if (positional.some((p) => p === null)) return null;
  const className = target.local ?? target.counterpart!.name;
  if (target.qualified === "batou.utils.Address") {
    if (positional.length < 1 || positional.length > 2) return null;
    const port = positional[1] ?? (argument(call, 99, "port") ? expr(argument(call, 99, "port")!, ctx) : undefined);
    const families: string[] = [];
    for (const keyword of call.keywords as PyNode[]) {
      const value = expr(keyword.value, ctx);
      if (keyword.arg === "port") continue;
      if (value === null || (keyword.arg !== "require_v4" && keyword.arg !== "require_v6")) return null;
      families.push(`${keyword.arg === "require_v4" ? "requireV4" : "requireV6"}: ${value}`);
    }
    if (port === null) return null;
    ctx.scope.uses.add("Address");
    const args = [positional[0]!, ...(port !== undefined || families.length ? [port ?? "undefined"] : []), ...(families.length ? [`{ ${families.join(", ")} }`] : [])];
    return `new Address(${args.join(", ")})`;
  }
  const counterpart = target.counterpart;
  const opts = options(call, ctx, counterpart?.options, `${className}(...)`);
  if (!opts) return null;
  const implied = counterpart?.implied;
  if (implied && opts.keys.includes(implied.when)) opts.text = opts.text.replace(/ }$/, `, ${implied.text} }`);
  for (const required of counterpart?.requires ?? []) {
    if (!opts.keys.includes(required)) {
      ctx.scope.notes.add(`${className}(...) needs ${required} here (batou had a default)`);
      return null;
    }
  }
  if (counterpart?.note) ctx.scope.notes.add(counterpart.note);
  if (counterpart) ctx.scope.uses.add(className);
  const args = [...(positional as string[]), ...(opts.text ? [opts.text] : [])];
  const built = `new ${className}(${args.join(", ")})`;
  return counterpart?.name === "File" ? fileContent(call, ctx, built) : built;
}

/**
 * `self += AppEnv("3.11")` (batou.lib.appenv): a VirtualEnv built from the
 * requirements.lock beside component.py, with its `bin`, `lib` and
 * `pyvenv.cfg` linked into the workdir as AppEnv did (so `bin/python` keeps
 * working). Null when the call has more than the Python version.
 */
export function appEnvStatements(call: PyNode, ctx: MethodContext): string | null {
  const name = call._type === "Call" ? dottedName(call.func) : null;
  if (name === null || qualify(name, ctx.scope.imports) !== "batou.lib.appenv.AppEnv") return null;
  if (!["VirtualEnv", "Requirements", "Symlink"].every((n) => ctx.scope.available.has(n))) return null;
  const version = argument(call, 0, "python_version");
  if (!version || call.args.length + call.keywords.length !== 1) return null;
  const text = expr(version, ctx);
  if (text === null) return null;
  const python = version._type === "Constant" && typeof version.value === "string" ? jsString(`python${version.value}`) : `\`python\${${text}}\``;
  for (const used of ["VirtualEnv", "Requirements", "Symlink"]) ctx.scope.uses.add(used);
  return [
    `this.add(new VirtualEnv(".appenv/env", { python: ${python} })).add(new Requirements("requirements.lock"));`,
    'for (const name of ["bin", "lib", "pyvenv.cfg"]) this.add(new Symlink(name, { target: `.appenv/env/${name}` }));',
  ].join("\n");
}

/** `self.cmd(...)`: awaited; batou expanded the command as a template first. */
function cmdCall(call: PyNode, ctx: MethodContext, method: "cmd" | "assertCmd"): T {
  if (!ctx.async) return null;
  const command = call.args[0] as PyNode | undefined;
  if (!command || call.args.length > 1) return null;
  let text = expr(command, ctx);
  if (text === null) return null;
  const expandFlag = argument(call, 99, "expand");
  const expands = !(expandFlag && expandFlag._type === "Constant" && expandFlag.value === false);
  if (expands && !(command._type === "Constant" && typeof command.value === "string" && !/\{\{|\{%|\{#/.test(command.value))) text = `this.expand(${text})`;
  const opts: string[] = [];
  for (const keyword of call.keywords as PyNode[]) {
    if (keyword.arg === "silent" || keyword.arg === "expand") continue;
    const value = expr(keyword.value, ctx);
    if (value === null) return null;
    if (keyword.arg === "ignore_returncode") opts.push(`ignoreReturnCode: ${value}`);
    else if (keyword.arg === "env") opts.push(`env: ${value}`);
    else return null;
  }
  return `await this.${method}(${text}${opts.length ? `, { ${opts.join(", ")} }` : ""})`;
}

const REQUIRE_KEYWORDS = ["host", "strict", "reverse", "dirty"];

function selfCall(call: PyNode, method: string, ctx: MethodContext): T {
  const args = (call.args as PyNode[]).map((a) => expr(a, ctx));
  if (args.some((a) => a === null)) return null;
  const simple = (target: string, max: number) => (call.keywords.length === 0 && args.length <= max ? `this.${target}(${args.join(", ")})` : null);
  switch (method) {
    case "provide":
      return simple("provide", 2);
    case "require":
    case "require_one": {
      if (args.length < 1 || args.length > 2) return null;
      const opts: string[] = args.length === 2 ? [`host: ${args[1]}`] : [];
      for (const keyword of call.keywords as PyNode[]) {
        if (!REQUIRE_KEYWORDS.includes(keyword.arg)) return null;
        const value = expr(keyword.value, ctx);
        if (value === null) return null;
        opts.push(`${keyword.arg}: ${value}`);
      }
      return `this.${method === "require" ? "require" : "requireOne"}(${args[0]}${opts.length ? `, { ${opts.join(", ")} }` : ""})`;
    }
    case "expand":
    case "template":
    case "map":
    case "touch":
      return simple(method, 1);
    case "log":
      return simple("log", 1);
    case "checksum":
      return simple("runningChecksum", 1);
    case "cmd":
      return cmdCall(call, ctx, "cmd");
    case "assert_cmd":
      return cmdCall(call, ctx, "assertCmd");
    case "assert_file_is_current":
      return simple("assertFileIsCurrent", 2);
    case "assert_component_is_current":
      return simple("assertComponentIsCurrent", 1);
    case "assert_no_subcomponent_changes":
      return simple("assertNoSubcomponentChanges", 0);
    case "assert_no_changes":
      return simple("assertNoChanges", 0);
    default: {
      if (method.startsWith("_") && method.startsWith("__")) return null;
      if (call.keywords.length) return null;
      const text = `this.${method}(${args.join(", ")})`;
      if (!ctx.asyncMethods.has(method)) return text;
      return ctx.async ? `await ${text}` : null;
    }
  }
}

function call(node: PyNode, ctx: MethodContext): T {
  const func = node.func as PyNode;
  // super().configure() and friends
  if (func._type === "Attribute" && func.value._type === "Call" && dottedName(func.value.func) === "super" && func.value.args.length === 0) {
    if (node.args.length || node.keywords.length) return null;
    const method = { configure: "configure", verify: "verify", update: "update" }[func.attr as string];
    if (!method) return null;
    if (method === "configure") return "super.configure()";
    return ctx.async ? `await super.${method}(${method === "verify" && ctx.locals.has("predicting") ? "predicting" : ""})` : null;
  }
  if (func._type === "Attribute" && func.value._type === "Name" && func.value.id === "self") return selfCall(node, func.attr, ctx);
  const target = classOf(func, ctx);
  if (target) return newCounterpart(node, ctx, target);
  const dotted = dottedName(func);
  const qualified = dotted === null ? null : qualify(dotted, ctx.scope.imports);
  const args = (node.args as PyNode[]).map((a) => expr(a, ctx));
  const plainArgs = node.keywords.length === 0 && args.every((a) => a !== null);
  if (qualified && NODE_FUNCTIONS[qualified] && plainArgs) {
    const [module, fn] = NODE_FUNCTIONS[qualified];
    return `${useNode(ctx.scope, module, fn)}(${args.join(", ")})`;
  }
  if (qualified === "time.sleep" && plainArgs && args.length === 1) return ctx.async ? `await Bun.sleep(${args[0]} * 1000)` : null;
  if (dotted === "len" && plainArgs && args.length === 1) return `${args[0]}.length`;
  if (dotted === "dict" && node.args.length === 0) {
    const opts = options(node, ctx, undefined, "dict");
    return opts ? opts.text || "{}" : null;
  }
  if (dotted === "list" && plainArgs && args.length === 1) return `[...${args[0]}]`;
  if (func._type === "Attribute" && plainArgs) {
    const receiver = expr(func.value, ctx);
    if (receiver === null) return null;
    if (func.attr === "join" && isStr(func.value) && args.length === 1) return `${args[0]}.join(${receiver})`;
    if (func.attr === "get" && args.length >= 1 && args.length <= 2 && /^this\.(host\.data|environment\.secretFiles)$/.test(receiver)) {
      return `(${receiver}[${args[0]}] ?? ${args[1] ?? "null"})`;
    }
    const method = STRING_METHODS[func.attr];
    if (method && (func.attr.endsWith("with") ? args.length === 1 : args.length === 0)) return `${receiver}.${method}(${args.join(", ")})`;
  }
  return null;
}

/** The qualified name of an exception class as written (`ValueError` → `builtins.ValueError`). */
function exceptionName(node: PyNode, ctx: MethodContext): string | null {
  const dotted = dottedName(node);
  if (dotted === null) return null;
  return dotted.includes(".") || ctx.scope.imports.has(dotted) ? qualify(dotted, ctx.scope.imports) : `builtins.${dotted}`;
}

/**
 * What an `except` clause catches, as a test of `error`: `"*"` for anything
 * (bare `except:`, `Exception`), `error instanceof CommandError` and the like,
 * or null when a class it names has no counterpart here.
 */
export function caught(type: PyNode | null, error: string, ctx: MethodContext): string | null {
  if (type === null) return "*";
  const classes: string[] = [];
  for (const node of type._type === "Tuple" ? (type.elts as PyNode[]) : [type]) {
    const name = exceptionName(node, ctx);
    const ours = name === null ? undefined : CAUGHT[name];
    if (ours === undefined) return null;
    if (ours === "*") return "*";
    classes.push(ours);
  }
  for (const name of classes) ctx.scope.uses.add(name);
  return classes.map((name) => `${error} instanceof ${name}`).join(" || ");
}

/** `raise X(...)` as a `throw`. */
export function raise(node: PyNode, ctx: MethodContext): T {
  const exc = node.exc as PyNode | null;
  if (!exc || node.cause) return null;
  const callNode = exc._type === "Call" ? exc : { _type: "Call", func: exc, args: [], keywords: [] };
  const qualified = exceptionName(callNode.func, ctx);
  if (qualified === null) return null;
  const ours = EXCEPTIONS[qualified];
  if (!ours || callNode.keywords.length || callNode.args.length > 1) return null;
  const message = callNode.args.length ? expr(callNode.args[0], ctx) : "";
  if (message === null) return null;
  if (ours === "UpdateNeeded") ctx.scope.uses.add("UpdateNeeded");
  return `throw new ${ours}(${message});`;
}
