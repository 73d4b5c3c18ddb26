/**
 * A `component.ts` skeleton from a batou `component.py`: the classes with their
 * names and bases, `namevar`, attributes (`Attribute(...)` as `attribute()`),
 * platform variants and event handlers; in each method the statements that
 * translate (python-to-ts.ts), and every other statement kept as commented Python
 * at its place, marked `// TODO(migrate)`. Comments of the Python stay where they were.
 */
import { argument, classAssignment, classModels, dottedName, isAttributeCall, qualify, type ClassModel } from "./component-model.ts";
import type { ParsedPython, PyNode } from "./python-ast.ts";
import { appEnvStatements, caught, condition, expr, iterable, raise, type MethodContext, type Scope } from "./python-to-ts.ts";

export interface Skeleton {
  text: string;
  /** Report lines: what carried over. */
  converted: string[];
  /** Report lines: what needs a hand (each also a TODO(migrate) in the text). */
  hand: string[];
  classes: ClassModel[];
}

const TODO = "// TODO(migrate):";

/** Comments of the Python file by line. */
type Comments = Map<number, string>;

interface Writer {
  lines: string[];
  source: string[];
  comments: Comments;
  /** Comment lines already written. */
  used: Set<number>;
  hand: string[];
  converted: string[];
  /** The last Python line written: comments after it and before the next statement belong to that statement. */
  cursor: number;
}

/** Emits the Python comments from after the last written line up to `to` that were not written yet. */
function flushComments(w: Writer, _from: number, to: number, indent: string): void {
  for (let line = w.cursor + 1; line <= to; line++) {
    const text = w.comments.get(line);
    if (text === undefined || w.used.has(line)) continue;
    w.used.add(line);
    w.lines.push(`${indent}// ${text.replace(/^#\s?/, "")}`);
  }
  w.cursor = Math.max(w.cursor, to);
}

/** Keeps a statement as commented Python, marked TODO, and reports it. */
function keepPython(w: Writer, node: PyNode, indent: string, why: string, where: string): void {
  w.lines.push(`${indent}${TODO} ${why}`);
  for (let line = node.lineno!; line <= node.end_lineno!; line++) {
    w.used.add(line);
    w.lines.push(`${indent}// ${w.source[line - 1] ?? ""}`.trimEnd());
  }
  w.cursor = Math.max(w.cursor, node.end_lineno!);
  w.hand.push(`line ${node.lineno}: ${where}: ${why}: ${(w.source[node.lineno! - 1] ?? "").trim()}${node.end_lineno! > node.lineno! ? " …" : ""}`);
}

/** Names assigned in a body (for `let` vs `const` and for locals). */
function assignedNames(body: PyNode[], counts = new Map<string, number>()): Map<string, number> {
  const visit = (target: PyNode) => {
    if (target._type === "Name") counts.set(target.id, (counts.get(target.id) ?? 0) + 1);
    if (target._type === "Tuple" || target._type === "List") target.elts.forEach(visit);
  };
  for (const stmt of body) {
    if (stmt._type === "Assign") stmt.targets.forEach(visit);
    if (stmt._type === "AugAssign" || stmt._type === "AnnAssign") {
      visit(stmt.target);
      if (stmt._type === "AugAssign") visit(stmt.target);
    }
    if (stmt._type === "For") visit(stmt.target);
    for (const field of ["body", "handlers", "orelse", "finalbody"]) if (Array.isArray(stmt[field])) assignedNames(stmt[field], counts);
  }
  return counts;
}

/** True when the body calls something that is awaited here. */
function needsAwait(body: PyNode[]): boolean {
  return JSON.stringify(body).match(/"attr":"(cmd|assert_cmd|sleep|verify|update)"/) !== null;
}

function statement(w: Writer, stmt: PyNode, ctx: MethodContext, indent: string, where: string, declared: Set<string>): void {
  // a compound statement's inner comments go with its inner statements
  const compound = stmt._type === "If" || stmt._type === "For" || stmt._type === "Try";
  flushComments(w, stmt.lineno!, compound ? stmt.lineno! : stmt.end_lineno!, indent);
  const fail = (why: string) => keepPython(w, stmt, indent, why, where);
  const emit = (text: string | null, why = "no translation for this") => {
    if (text === null) return fail(why);
    w.lines.push(...text.split("\n").map((l) => `${indent}${l}`));
  };
  switch (stmt._type) {
    case "Pass":
      return;
    case "Expr": {
      if (stmt.value._type === "Constant" && typeof stmt.value.value === "string") {
        for (const line of stmt.value.value.trim().split("\n")) w.lines.push(`${indent}// ${line.trim()}`.trimEnd());
        return;
      }
      const value = expr(stmt.value, ctx);
      return emit(value === null ? null : `${value};`);
    }
    case "AugAssign": {
      const target = stmt.target as PyNode;
      if (target._type === "Name" && target.id === "self" && (stmt.op._type === "Add" || stmt.op._type === "BitOr")) {
        const appEnv = stmt.op._type === "Add" ? appEnvStatements(stmt.value, ctx) : null;
        if (appEnv !== null) return emit(appEnv);
        const child = expr(stmt.value, ctx);
        return emit(child === null ? null : `this.${stmt.op._type === "Add" ? "add" : "use"}(${child});`, "no counterpart for this sub-component");
      }
      const value = expr(stmt.value, ctx);
      const left = expr(target, ctx);
      const op = { Add: "+=", Sub: "-=" }[stmt.op._type as string];
      const safe = stmt.op._type === "Sub" || stmt.value._type === "Constant";
      return emit(value === null || left === null || !op || !safe ? null : `${left} ${op} ${value};`);
    }
    case "Assign":
    case "AnnAssign": {
      const targets: PyNode[] = stmt._type === "Assign" ? stmt.targets : [stmt.target];
      if (targets.length !== 1 || !stmt.value) return fail("no translation for this");
      const target = targets[0];
      const valueNode = stmt.value as PyNode;
      // out, err = self.cmd(...)
      if (target._type === "Tuple" && valueNode._type === "Call" && valueNode.func._type === "Attribute" && valueNode.func.attr === "cmd") {
        const names = target.elts.map((e: PyNode) => (e._type === "Name" ? e.id : null));
        const command = expr(valueNode, ctx);
        if (command === null || names.length !== 2 || names.includes(null)) return fail("no translation for this");
        const parts = names.map((n: string, i: number) => (n === "_" ? null : `${i === 0 ? "stdout" : "stderr"}: ${n}`)).filter(Boolean);
        const declared = names.every((n: string) => n === "_" || ctx.locals.has(n));
        names.forEach((n: string) => ctx.locals.add(n));
        return emit(declared ? `({ ${parts.join(", ")} } = ${command});` : `const { ${parts.join(", ")} } = ${command};`);
      }
      const value = expr(valueNode, ctx);
      if (value === null) return fail("no translation for this");
      if (target._type === "Name") {
        if (/^new (File|Directory|Symlink|JSONContent|YAMLContent)\(/.test(value)) (ctx.fileLocals ??= new Set()).add(target.id);
        const first = !ctx.locals.has(target.id);
        ctx.locals.add(target.id);
        const keyword = first ? (ctx.reassigned.has(target.id) ? "let " : "const ") : "";
        return emit(`${keyword}${target.id} = ${value};`);
      }
      if (target._type === "Attribute" && target.value._type === "Name" && target.value.id === "self") {
        if (!declared.has(target.attr)) ctx.assignedFields.set(target.attr, valueNode._type === "Call" && dottedName(valueNode.func) !== null && qualify(dottedName(valueNode.func)!, ctx.scope.imports) === "batou.utils.Address" ? "Address" : "any");
        return emit(`this.${target.attr} = ${value};`);
      }
      if (target._type === "Tuple" && target.elts.every((e: PyNode) => e._type === "Name")) {
        const names = target.elts.map((e: PyNode) => e.id);
        const fresh = names.every((n: string) => !ctx.locals.has(n));
        names.forEach((n: string) => ctx.locals.add(n));
        return emit(`${fresh ? "const " : ""}[${names.join(", ")}] = ${value};`);
      }
      const subscripted = target._type === "Subscript" ? expr(target, ctx) : null;
      return emit(subscripted === null ? null : `${subscripted} = ${value};`);
    }
    case "Return": {
      if (!stmt.value) return emit("return;");
      const value = expr(stmt.value, ctx);
      return emit(value === null ? null : `return ${value};`);
    }
    case "Raise":
      if (!stmt.exc && ctx.caughtError) return emit(`throw ${ctx.caughtError};`);
      return emit(raise(stmt, ctx), "no counterpart for this exception");
    case "Try":
      return tryStatement(w, stmt, ctx, indent, where, declared, fail);
    case "Assert": {
      const test = condition(stmt.test, ctx);
      if (test === null) return fail("no translation for this condition (Python's truthiness differs)");
      const message = stmt.msg ? expr(stmt.msg, ctx) : "";
      if (message === null) return fail("no translation for this");
      ctx.scope.uses.add("UpdateNeeded");
      return emit(`if (!(${test})) throw new UpdateNeeded(${message});`);
    }
    case "If": {
      const test = condition(stmt.test, ctx);
      if (test === null) return fail("no translation for this condition (Python's truthiness differs)");
      w.lines.push(`${indent}if (${test}) {`);
      for (const inner of stmt.body) statement(w, inner, ctx, `${indent}  `, where, declared);
      if (stmt.orelse.length) {
        w.lines.push(`${indent}} else {`);
        for (const inner of stmt.orelse) statement(w, inner, ctx, `${indent}  `, where, declared);
      }
      w.lines.push(`${indent}}`);
      return;
    }
    case "For": {
      if (stmt.orelse.length) return fail("no translation for for-else");
      const target = stmt.target as PyNode;
      const names: string[] | null = target._type === "Name" ? [target.id] : target._type === "Tuple" && target.elts.every((e: PyNode) => e._type === "Name") ? target.elts.map((e: PyNode) => e.id) : null;
      const source = iterable(stmt.iter, ctx);
      if (!names || source === null) return fail("no translation for this loop");
      names.forEach((n) => ctx.locals.add(n));
      w.lines.push(`${indent}for (const ${names.length === 1 ? names[0] : `[${names.join(", ")}]`} of ${source}) {`);
      for (const inner of stmt.body) statement(w, inner, ctx, `${indent}  `, where, declared);
      w.lines.push(`${indent}}`);
      return;
    }
    default:
      return fail(`no translation for Python's ${stmt._type.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase()} statement`);
  }
}

/**
 * `try`/`except`/`else`/`finally` as `try`/`catch`/`finally`. An `except` must
 * name classes with a counterpart (`CmdExecutionError` → `CommandError`, or
 * anything: bare, `Exception`); an error no clause catches is thrown again, and
 * `else` runs when nothing was caught. Names first assigned inside are declared
 * before it, as Python's locals outlive the block.
 */
function tryStatement(w: Writer, stmt: PyNode, ctx: MethodContext, indent: string, where: string, declared: Set<string>, fail: (why: string) => void): void {
  const handlers = stmt.handlers as PyNode[];
  if (stmt.orelse.length && stmt.finalbody.length) return fail("no translation for try-else with finally");
  const error = ctx.caughtError ? `${ctx.caughtError}_` : "error";
  const tests = handlers.map((h) => caught(h.type ?? null, error, ctx));
  const unknown = handlers.find((_, i) => tests[i] === null);
  if (unknown) return fail(`no counterpart for except ${(w.source[unknown.lineno! - 1] ?? "").trim().replace(/^except\s*/, "").replace(/:$/, "")} here (JavaScript does not throw Python's errors)`);
  // the body is what raises: when a statement of it stays Python, the handlers would never run, so the whole try stays Python
  const before = { lines: w.lines.length, hand: w.hand.length, uses: new Set(ctx.scope.uses), locals: new Set(ctx.locals) };
  const fresh = [...assignedNames([stmt]).keys()].filter((name) => name !== "_" && !ctx.locals.has(name));
  if (fresh.length) w.lines.push(`${indent}let ${fresh.join(", ")};`);
  fresh.forEach((name) => ctx.locals.add(name));
  const inner = `${indent}  `;
  const flag = stmt.orelse.length ? `${error}Caught` : undefined;
  if (flag) w.lines.push(`${indent}let ${flag} = false;`);
  w.lines.push(`${indent}try {`);
  for (const s of stmt.body) statement(w, s, ctx, inner, where, declared);
  if (w.hand.length > before.hand) {
    w.lines.length = before.lines;
    w.hand.length = before.hand;
    ctx.scope.uses.clear();
    before.uses.forEach((name) => ctx.scope.uses.add(name));
    ctx.locals.clear();
    before.locals.forEach((name) => ctx.locals.add(name));
    return fail("no translation for a statement inside this try");
  }
  if (handlers.length) {
    w.lines.push(`${indent}} catch (${error}) {`);
    if (flag) w.lines.push(`${inner}${flag} = true;`);
    const catchAll = tests.indexOf("*");
    handlers.forEach((handler, i) => {
      if (catchAll !== -1 && i > catchAll) return; // never reached, as in Python
      const body = (h: PyNode, at: string) => {
        const scoped: MethodContext = { ...ctx, caughtError: error, locals: new Set(ctx.locals), commandErrorLocals: new Set(ctx.commandErrorLocals) };
        if (h.name) {
          w.lines.push(`${at}const ${h.name} = ${error};`);
          scoped.locals.add(h.name);
          if (tests[i]!.includes("instanceof CommandError")) scoped.commandErrorLocals!.add(h.name);
        }
        for (const s of h.body) statement(w, s, scoped, at, where, declared);
        for (const name of scoped.locals) ctx.locals.add(name);
      };
      if (tests[i] === "*") {
        if (i === 0) body(handler, inner);
        else {
          w.lines.push(`${inner}} else {`);
          body(handler, `${inner}  `);
        }
        return;
      }
      w.lines.push(`${inner}${i === 0 ? "" : "} else "}if (${tests[i]}) {`);
      body(handler, `${inner}  `);
    });
    if (tests[0] !== "*") {
      if (catchAll === -1) w.lines.push(`${inner}} else {`, `${inner}  throw ${error};`);
      w.lines.push(`${inner}}`);
    }
  }
  if (stmt.finalbody.length) {
    w.lines.push(`${indent}} finally {`);
    for (const s of stmt.finalbody) statement(w, s, ctx, inner, where, declared);
  }
  w.lines.push(`${indent}}`);
  if (flag) {
    w.lines.push(`${indent}if (!${flag}) {`);
    for (const s of stmt.orelse) statement(w, s, ctx, inner, where, declared);
    w.lines.push(`${indent}}`);
  }
}

const LIFECYCLE: Record<string, { signature: (params: string) => string; async: boolean }> = {
  configure: { signature: () => "override configure(): void", async: false },
  verify: { signature: (p) => `override async verify(${p ? `${p}?: boolean` : ""}): Promise<void>`, async: true },
  update: { signature: () => "override async update(): Promise<void>", async: true },
};

interface EventHandler {
  method: string;
  event: string;
  scope: string;
}

function method(w: Writer, fn: PyNode, model: ClassModel, scope: Scope, fields: Map<string, string>, declared: Set<string>, asyncMethods: Set<string>, handlers: EventHandler[], booleanFields: Set<string>): void {
  const where = `${model.name}.${fn.name}`;
  const params = (fn.args.args as PyNode[]).slice(1).map((a) => a.arg);
  const unsupported = fn.args.vararg || fn.args.kwarg || fn.args.kwonlyargs.length || fn.args.posonlyargs.length || fn.name === "__init__";
  const decorators = (fn.decorator_list as PyNode[]).map((d) => ({ node: d, name: dottedName(d._type === "Call" ? d.func : d) }));
  const isProperty = decorators.length === 1 && decorators[0].name === "property";
  const event = decorators.find((d) => d.name !== null && qualify(d.name, scope.imports) === "batou.component.handle_event");
  const otherDecorators = decorators.filter((d) => d !== event && !(isProperty && d.name === "property"));
  if (unsupported || otherDecorators.length || (fn.args.args as PyNode[])[0]?.arg !== "self") {
    const start = Math.min(fn.lineno!, ...(fn.decorator_list as PyNode[]).map((d) => d.lineno!));
    keepPython(w, { ...fn, lineno: start }, "  ", "no translation for this method", where);
    return;
  }
  const lifecycle = LIFECYCLE[fn.name];
  const isAsync = lifecycle ? lifecycle.async : asyncMethods.has(fn.name);
  const counts = assignedNames(fn.body);
  const ctx: MethodContext = {
    scope,
    method: fn.name,
    async: isAsync,
    locals: new Set(params),
    reassigned: new Set([...counts].filter(([, n]) => n > 1).map(([k]) => k)),
    assignedFields: fields,
    booleanFields,
    asyncMethods,
  };
  const defaults = fn.args.defaults as PyNode[];
  const paramText = params.map((p, i) => {
    const d = defaults[i - (params.length - defaults.length)];
    const value = d ? expr(d, ctx) : undefined;
    return value ? `${p}: any = ${value}` : `${p}: any`;
  });
  let signature: string;
  if (lifecycle) signature = lifecycle.signature(fn.name === "verify" ? (params[0] ?? "") : "");
  else if (isProperty) signature = `get ${fn.name}(): any`;
  else signature = `${isAsync ? "async " : ""}${fn.name}(${paramText.join(", ")})${isAsync ? ": Promise<any>" : ""}`;
  if (lifecycle && params.length > (fn.name === "verify" ? 1 : 0)) w.hand.push(`line ${fn.lineno}: ${where} takes extra parameters: ${params.join(", ")}`);
  flushComments(w, fn.lineno!, fn.lineno!, "  ");
  w.lines.push(`  ${signature} {`);
  w.lines.push(...handlerLines(handlers));
  for (const stmt of fn.body as PyNode[]) statement(w, stmt, ctx, "    ", where, declared);
  w.lines.push("  }", "");
  w.converted.push(`line ${fn.lineno}: ${where}`);
}

function handlerLines(handlers: EventHandler[]): string[] {
  return handlers.map((h) => `    this.on(${JSON.stringify(h.event)}, (trigger) => this.${h.method}(trigger), { scope: ${JSON.stringify(h.scope)} });`);
}

/** Methods decorated with `@handle_event(event, scope)`: registered with `this.on` in configure(). */
function eventHandlers(methods: PyNode[], scope: Scope, w: Writer, className: string): EventHandler[] {
  const handlers: EventHandler[] = [];
  for (const m of methods) {
    for (const d of m.decorator_list as PyNode[]) {
      const name = dottedName(d._type === "Call" ? d.func : d);
      if (!name || qualify(name, scope.imports) !== "batou.component.handle_event") continue;
      const event = d._type === "Call" ? argument(d, 0, "event") : undefined;
      const eventScope = d._type === "Call" ? argument(d, 1, "scope") : undefined;
      if (event?._type === "Constant" && eventScope?._type === "Constant") {
        handlers.push({ method: m.name, event: event.value, scope: eventScope.value });
        w.converted.push(`line ${d.lineno}: ${className}.${m.name}: @handle_event → this.on(...) in configure()`);
      } else w.hand.push(`line ${d.lineno}: ${className}.${m.name}: handle_event with computed arguments; register the handler with this.on(...) by hand`);
    }
  }
  return handlers;
}

/** `Attribute(conversion, default, expand=..., map=...)` as `attribute(...)`, or null. */
function attributeDeclaration(call: PyNode, ctx: MethodContext, notes: string[]): string | null {
  const conversion = argument(call, 0, "conversion");
  const defaultNode = argument(call, 1, "default");
  const known: Record<string, string> = { int: '"integer"', float: '"float"', bool: '"boolean"', str: '"string"' };
  let conv: string;
  if (!conversion) conv = '"string"';
  else if (conversion._type === "Constant" && (conversion.value === "list" || conversion.value === "literal")) conv = JSON.stringify(conversion.value);
  else {
    const name = dottedName(conversion);
    if (name && known[name] && !ctx.scope.imports.has(name)) conv = known[name];
    else if (name && qualify(name, ctx.scope.imports) === "batou.utils.Address") {
      conv = "Address";
      ctx.scope.uses.add("Address");
    } else return null;
  }
  const opts: string[] = [];
  if (defaultNode) {
    const defaultName = defaultNode._type === "Call" ? dottedName(defaultNode.func) : null;
    if (defaultName && qualify(defaultName, ctx.scope.imports) === "batou.component.ConfigString") {
      const text = defaultNode.args[0] ? expr(defaultNode.args[0], ctx) : null;
      if (text === null) return null;
      opts.push(`defaultText: ${text}`);
    } else if (conv !== '"string"' && defaultNode._type === "Constant" && typeof defaultNode.value === "string") {
      opts.push(`defaultText: ${JSON.stringify(defaultNode.value)}`);
      notes.push(`default ${JSON.stringify(defaultNode.value)} written as defaultText (converted); batou 2.3+ used a plain string default unconverted (it needed ConfigString)`);
    } else {
      const value = expr(defaultNode, ctx);
      if (value === null) return null;
      opts.push(`default: ${value === "[]" ? "[] as string[]" : value}`);
    }
  }
  for (const flag of ["expand", "map"]) {
    const node = argument(call, flag === "expand" ? 2 : 3, flag);
    if (!node) continue;
    if (node._type !== "Constant" || typeof node.value !== "boolean") return null;
    if ((flag === "expand") !== node.value) opts.push(`${flag}: ${node.value}`);
  }
  ctx.scope.uses.add("attribute");
  return `attribute(${conv}${opts.length ? `, { ${opts.join(", ")} }` : ""})`;
}

function classBody(w: Writer, model: ClassModel, scope: Scope, allModels: Map<string, ClassModel>): { fields: Map<string, string>; variants: string[] } {
  const node = model.node;
  const declared = new Set<string>();
  for (let base = allModels.get(model.bases[0]); base; base = allModels.get(base.bases[0])) for (const k of base.attributes.keys()) declared.add(k);
  const methods = (node.body as PyNode[]).filter((s) => s._type === "FunctionDef" || s._type === "AsyncFunctionDef");
  const asyncMethods = new Set(methods.filter((m) => !LIFECYCLE[m.name] && needsAwait(m.body)).map((m) => m.name));
  const fields = new Map<string, string>();
  const booleanFields = new Set([...model.attributes.values()].filter((a) => a.kind === "boolean" && a.declared === "plain").map((a) => a.name));
  const ctx: MethodContext = { scope, method: "", async: false, locals: new Set(), reassigned: new Set(), assignedFields: fields, booleanFields, asyncMethods };
  const where = model.name;
  let first = true;
  for (const stmt of node.body as PyNode[]) {
    if (stmt._type === "FunctionDef") continue;
    flushComments(w, stmt.lineno!, stmt.end_lineno!, "  ");
    if (first && stmt._type === "Expr" && stmt.value._type === "Constant" && typeof stmt.value.value === "string") {
      w.lines.splice(w.lines.length, 0, ...stmt.value.value.trim().split("\n").map((l: string) => `  // ${l.trim()}`.trimEnd()));
      first = false;
      continue;
    }
    first = false;
    if (stmt._type === "Pass") continue;
    const assigned = classAssignment(stmt);
    if (!assigned) {
      keepPython(w, stmt, "  ", "no translation for this class-level statement", where);
      continue;
    }
    declared.add(assigned.name);
    if (assigned.name === "namevar" && model.namevar) {
      w.lines.push(`  static override namevar = ${JSON.stringify(model.namevar)};`);
      if (!model.attributes.has(model.namevar)) w.lines.push(`  declare ${model.namevar}: any;`);
      w.converted.push(`line ${stmt.lineno}: ${where}: namevar ${model.namevar}`);
      continue;
    }
    if (isAttributeCall(assigned.value, scope.imports)) {
      const notes: string[] = [];
      const declaration = attributeDeclaration(assigned.value, ctx, notes);
      if (declaration === null) {
        keepPython(w, stmt, "  ", "no translation for this Attribute", where);
        continue;
      }
      w.lines.push(`  ${assigned.name} = ${declaration};`);
      w.converted.push(`line ${stmt.lineno}: ${where}.${assigned.name}: Attribute → attribute()`);
      for (const note of notes) w.hand.push(`line ${stmt.lineno}: ${where}.${assigned.name}: ${note}`);
      continue;
    }
    const value = expr(assigned.value, ctx);
    if (value === null) {
      keepPython(w, stmt, "  ", "no translation for this default", where);
      continue;
    }
    const type = value === "null" ? "any" : value === "[]" ? "any[]" : value === "{}" ? "Record<string, any>" : null;
    w.lines.push(`  ${assigned.name}${type ? `: ${type}` : ""} = ${value};`);
    w.converted.push(`line ${stmt.lineno}: ${where}.${assigned.name}`);
  }
  const methodLines: string[] = [];
  const saved = w.lines;
  w.lines = methodLines;
  const handlers = eventHandlers(methods, scope, w, model.name);
  if (handlers.length && !methods.some((m) => m.name === "configure")) {
    methodLines.push("  override configure(): void {", ...handlerLines(handlers), "    super.configure();", "  }", "");
  }
  for (const m of methods) method(w, m, model, scope, fields, declared, asyncMethods, m.name === "configure" ? handlers : [], booleanFields);
  w.lines = saved;
  for (const [field, type] of fields) if (!declared.has(field)) w.lines.push(`  declare ${field}: ${type};`);
  if (w.lines.length && !w.lines.at(-1)!.endsWith("{") && w.lines.at(-1) !== "") w.lines.push("");
  w.lines.push(...methodLines);
  while (w.lines.at(-1) === "") w.lines.pop();
  const variants: string[] = [];
  for (const d of node.decorator_list as PyNode[]) {
    const name = d._type === "Call" ? dottedName(d.func) : null;
    if (name && qualify(name, scope.imports) === "batou.component.platform") {
      const platform = argument(d, 0, "name");
      const base = argument(d, 1, "component");
      const baseName = base ? dottedName(base) : null;
      if (platform?._type === "Constant" && baseName && scope.classes.has(baseName)) {
        variants.push(`${baseName}.addPlatformVariant(${JSON.stringify(platform.value)}, ${model.name});`);
        w.converted.push(`line ${d.lineno}: @platform(${JSON.stringify(platform.value)}, ${baseName}) → ${baseName}.addPlatformVariant`);
      } else w.hand.push(`line ${d.lineno}: ${model.name}: a platform decorator this migration cannot read; register it with addPlatformVariant by hand`);
    } else w.hand.push(`line ${d.lineno}: ${model.name}: decorator ${name ?? "?"} dropped`);
  }
  return { fields, variants };
}

/** The base class as TypeScript: a class of this file, or a counterpart. */
function baseName(model: ClassModel, scope: Scope, w: Writer): string {
  const base = model.bases[0];
  if (model.bases.length > 1) w.hand.push(`line ${model.line}: ${model.name} has several bases (${model.bases.join(", ")}); only ${base} is kept`);
  if (scope.classes.has(base)) return base;
  if (base === "batou.component.Component") {
    scope.uses.add("Component");
    return "Component";
  }
  const name = base.split(".").pop()!;
  if (scope.available.has(name) && base.startsWith("batou.lib.")) {
    scope.uses.add(name);
    return name;
  }
  w.hand.push(`line ${model.line}: ${model.name} extends ${base}, which has no counterpart here; it extends Component instead`);
  scope.uses.add("Component");
  return "Component";
}

/** Writes the skeleton of one parsed `component.py`. `available` are the names "batou" exports. */
export function componentSkeleton(parsed: Extract<ParsedPython, { ok: true }>, available: Set<string>, sourceName: string): Skeleton {
  const { classes, imports } = classModels(parsed.module);
  const source = parsed.source.split(/\r?\n/);
  const comments: Comments = new Map(parsed.comments.map(([line, , text]) => [line, text]));
  const w: Writer = { lines: [], source, comments, used: new Set(), hand: [], converted: [], cursor: 0 };
  const globals = new Set<string>();
  for (const stmt of parsed.module.body as PyNode[]) {
    const assigned = classAssignment(stmt);
    if (assigned) globals.add(assigned.name);
  }
  const scope: Scope = { imports, classes: new Set(classes.map((c) => c.name)), available, uses: new Set(), nodeImports: new Map(), notes: new Set(), globals, source };
  const models = new Map(classes.map((c) => [c.name, c]));
  const body: string[] = [];
  const variants: string[] = [];
  const moduleCtx: MethodContext = { scope, method: "", async: false, locals: new Set(), reassigned: new Set(), assignedFields: new Map(), booleanFields: new Set(), asyncMethods: new Set() };
  for (const stmt of parsed.module.body as PyNode[]) {
    const start = Math.min(stmt.lineno!, ...((stmt.decorator_list as PyNode[] | undefined) ?? []).map((d) => d.lineno!));
    w.lines = body;
    if (stmt._type === "Import" || stmt._type === "ImportFrom") {
      flushComments(w, stmt.lineno!, stmt.end_lineno!, "");
      for (let l = stmt.lineno!; l <= stmt.end_lineno!; l++) w.used.add(l);
      const modules: string[] = stmt._type === "Import" ? stmt.names.map((n: PyNode) => n.name) : [stmt.module ?? ""];
      const foreign = modules.filter((m) => !m.startsWith("batou") && !["os", "os.path", "time"].includes(m));
      if (foreign.length) w.hand.push(`line ${stmt.lineno}: imports ${foreign.join(", ")}: components here import only "batou", node: built-ins and project files`);
      continue;
    }
    if (stmt._type === "ClassDef") {
      const model = models.get(stmt.name)!;
      flushComments(w, start, stmt.lineno!, "");
      if (!model.isComponent) {
        keepPython(w, { ...stmt, lineno: start }, "", "not a component class; no translation", stmt.name);
        body.push("");
        continue;
      }
      body.push(`export class ${model.name} extends ${baseName(model, scope, w)} {`);
      const result = classBody(w, model, scope, models);
      w.lines = body;
      body.push("}", "");
      variants.push(...result.variants);
      w.converted.push(`line ${stmt.lineno}: class ${model.name}`);
      continue;
    }
    flushComments(w, start, stmt.end_lineno!, "");
    const assigned = classAssignment(stmt);
    const value = assigned ? expr(assigned.value, moduleCtx) : null;
    if (assigned && value !== null) {
      body.push(`const ${assigned.name} = ${value};`, "");
      continue;
    }
    keepPython(w, { ...stmt, lineno: start }, "", "no translation for this module-level code", "module");
    body.push("");
  }
  for (const note of scope.notes) w.hand.push(note);
  const header = [
    `// Migrated from ${sourceName} by batou migrate-python. Read every TODO(migrate);`,
    "// the report lists what needs a hand.",
  ];
  const importLines: string[] = [];
  if (scope.uses.size) importLines.push(`import { ${[...scope.uses].sort().join(", ")} } from "batou";`);
  for (const [module, names] of [...scope.nodeImports].sort()) importLines.push(`import { ${[...names].sort().join(", ")} } from "${module}";`);
  while (body.at(-1) === "") body.pop();
  const text = [...header, ...importLines, "", ...body, ...(variants.length ? ["", ...variants] : [])].join("\n") + "\n";
  const hand = w.hand.filter((h, i, all) => all.indexOf(h) === i);
  return { text, converted: w.converted, hand, classes };
}
