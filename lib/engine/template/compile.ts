/**
 * Jinja2's semantics in nunjucks' compiler, patched in once: every operator,
 * comparison, truth test, lookup, call and print goes through `runtime.py`
 * (Python's behaviour, see runtime.ts and python.ts); `for` loops get
 * Jinja2's loop object, loop filter and scoping (a `set` inside a loop stays
 * inside it); `set ns.attr`, slices, `with` and tuples compile.
 */
import nunjucks from "nunjucks";
import * as python from "./python.ts";
import * as runtimePy from "./runtime.ts";
import { nodes } from "./syntax.ts";

type AnyNode = Record<string, any>;
type Compiler = Record<string, any> & {
  _emit(code: string): void;
  _emitLine(code: string): void;
  _tmpid(): string;
  compile(node: AnyNode, frame: any): void;
  _compileExpression(node: AnyNode, frame: any): void;
  _compileAggregate(node: AnyNode, frame: any, start: string, end: string): void;
  _withScopedSyntax(fn: () => void): void;
  _getNodeName(node: AnyNode): string;
  buffer: string;
};

const internals = nunjucks as unknown as { compiler: { Compiler: { prototype: Compiler } }; runtime: Record<string, unknown> };

/** A node that compiles to `runtime.py.<name>(args...)`, for wrapping nunjucks' own nodes. */
const PyCallNode = nodes.Node!.extend("PyCall", { fields: ["fn", "args"] });
const truth = (node: AnyNode): AnyNode => (node && node.typename === "PyCall" ? node : new PyCallNode(node.lineno, node.colno, "test", [node]));

const compareNames: Record<string, string> = { "==": "==", "===": "==", "!=": "!=", "!==": "!=", "<": "<", ">": ">", "<=": "<=", ">=": ">=" };

function lookupName(context: any, frame: any, name: string): unknown {
  const value = frame.lookup(name);
  if (value !== undefined) return value;
  const fromContext = context.lookup(name);
  return fromContext === undefined ? runtimePy.undefinedName(name) : fromContext;
}

/** The helpers compiled templates reach as `runtime.py`. */
export const py = {
  ...runtimePy,
  PyFloat: python.PyFloat,
  lookup: lookupName,
  tuple: (items: unknown[]) => python.tuple(items),
  add: (a: unknown, b: unknown) => python.add(runtimePy.defined(a), runtimePy.defined(b)),
  sub: (a: unknown, b: unknown) => python.sub(runtimePy.defined(a), runtimePy.defined(b)),
  mul: (a: unknown, b: unknown) => python.mul(runtimePy.defined(a), runtimePy.defined(b)),
  div: (a: unknown, b: unknown) => python.div(runtimePy.defined(a), runtimePy.defined(b)),
  floordiv: (a: unknown, b: unknown) => python.floordiv(runtimePy.defined(a), runtimePy.defined(b)),
  mod: (a: unknown, b: unknown) => python.mod(runtimePy.defined(a), runtimePy.defined(b)),
  pow: (a: unknown, b: unknown) => python.pow(runtimePy.defined(a), runtimePy.defined(b)),
  neg: (a: unknown) => python.neg(runtimePy.defined(a)),
  pos: (a: unknown) => runtimePy.defined(a),
  concat: (a: unknown, b: unknown) => runtimePy.output(a) + runtimePy.output(b),
  contains: (container: unknown, item: unknown) => python.contains(runtimePy.defined(container), runtimePy.defined(item)),
  or: (a: unknown, b: () => unknown) => (runtimePy.test(a) ? a : b()),
  and: (a: unknown, b: () => unknown) => (runtimePy.test(a) ? b() : a),
  not: (a: unknown) => !runtimePy.test(a),
  compare: (a: unknown, op: string, b: unknown) => python.compare(runtimePy.defined(a), op, runtimePy.defined(b)),
  chain: (first: unknown, rest: [string, () => unknown][]) => {
    let left = first;
    for (const [op, next] of rest) {
      const right = next();
      if (!python.compare(runtimePy.defined(left), op, runtimePy.defined(right))) return false;
      left = right;
    }
    return true;
  },
  is: (env: { getTest(name: string): ((...args: unknown[]) => unknown) | undefined }, name: string, value: unknown, args: unknown[]) => {
    const check = env.getTest(name);
    if (!check) throw new python.PyError("TemplateAssertionError", `No test named '${name}'.`);
    return Boolean(check(value, ...args));
  },
  noElse: () => new runtimePy.LenientUndefined("the inline if-expression evaluated to false and no else section was defined."),
};

let patched = false;

/** Applies the compiler patches once per process. */
export function patchCompiler(): void {
  if (patched) return;
  patched = true;
  internals.runtime.py = py;
  const proto = internals.compiler.Compiler.prototype;

  const emitCall = (self: Compiler, frame: any, fn: string, args: (AnyNode | null)[], raw: string[] = []) => {
    self._emit(`runtime.py.${fn}(`);
    args.forEach((arg, i) => {
      if (i) self._emit(", ");
      if (arg === null) self._emit("null");
      else self._compileExpression(arg, frame);
    });
    for (const extra of raw) self._emit(`, ${extra}`);
    self._emit(")");
  };
  const lazy = (self: Compiler, frame: any, node: AnyNode) => {
    self._emit("function () { return ");
    self._compileExpression(node, frame);
    self._emit("; }");
  };

  const compileExpression = proto._compileExpression;
  proto._compileExpression = function (this: Compiler, node: AnyNode, frame: any) {
    if (node && (node.typename === "PyCall" || node.typename === "PySlice")) this.compile(node, frame);
    else compileExpression.call(this, node, frame);
  };

  proto.compilePyCall = function (this: Compiler, node: AnyNode, frame: any) {
    emitCall(this, frame, node.fn, node.args);
  };

  const binary: Record<string, string> = { Add: "add", Sub: "sub", Mul: "mul", Div: "div", FloorDiv: "floordiv", Mod: "mod", Pow: "pow", Concat: "concat" };
  for (const [type, fn] of Object.entries(binary)) {
    proto[`compile${type}`] = function (this: Compiler, node: AnyNode, frame: any) {
      emitCall(this, frame, fn, [node.left, node.right]);
    };
  }
  proto.compileNeg = function (this: Compiler, node: AnyNode, frame: any) {
    emitCall(this, frame, "neg", [node.target]);
  };
  proto.compilePos = function (this: Compiler, node: AnyNode, frame: any) {
    emitCall(this, frame, "pos", [node.target]);
  };
  proto.compileNot = function (this: Compiler, node: AnyNode, frame: any) {
    emitCall(this, frame, "not", [node.target]);
  };
  for (const [type, fn] of [["Or", "or"], ["And", "and"]] as const) {
    proto[`compile${type}`] = function (this: Compiler, node: AnyNode, frame: any) {
      this._emit(`runtime.py.${fn}(`);
      this._compileExpression(node.left, frame);
      this._emit(", ");
      lazy(this, frame, node.right);
      this._emit(")");
    };
  }
  proto.compileIn = function (this: Compiler, node: AnyNode, frame: any) {
    emitCall(this, frame, "contains", [node.right, node.left]);
  };
  proto.compileCompare = function (this: Compiler, node: AnyNode, frame: any) {
    const ops = node.ops as AnyNode[];
    if (ops.length === 1) {
      this._emit("runtime.py.compare(");
      this._compileExpression(node.expr, frame);
      this._emit(`, "${compareNames[ops[0]!.type]}", `);
      this._compileExpression(ops[0]!.expr, frame);
      this._emit(")");
      return;
    }
    this._emit("runtime.py.chain(");
    this._compileExpression(node.expr, frame);
    this._emit(", [");
    ops.forEach((op, i) => {
      if (i) this._emit(", ");
      this._emit(`["${compareNames[op.type]}", `);
      lazy(this, frame, op.expr);
      this._emit("]");
    });
    this._emit("])");
  };
  proto.compileIs = function (this: Compiler, node: AnyNode, frame: any) {
    const test = node.right;
    const name = test.name ? test.name.value : test.value;
    this._emit(`runtime.py.is(env, "${name}", `);
    this._compileExpression(node.left, frame);
    this._emit(", ");
    if (test.args) this._compileAggregate(test.args, frame, "[", "]");
    else this._emit("[]");
    this._emit(")");
  };
  proto.compileLookupVal = function (this: Compiler, node: AnyNode, frame: any) {
    emitCall(this, frame, "getattr", [node.target, node.val]);
  };
  proto.compileSymbol = function (this: Compiler, node: AnyNode, frame: any) {
    const id = frame.lookup(node.value);
    if (id) this._emit(id);
    else this._emit(`runtime.py.lookup(context, frame, ${JSON.stringify(node.value)})`);
  };
  proto.compileFunCall = function (this: Compiler, node: AnyNode, frame: any) {
    this._emit(`(lineno = ${node.lineno + 1}, colno = ${node.colno + 1}, runtime.py.call(`);
    this._compileExpression(node.name, frame);
    this._emit(`, ${JSON.stringify(this._getNodeName(node.name))}, context, `);
    this._compileAggregate(node.args, frame, "[", "]");
    this._emit("))");
  };
  const compileLiteral = proto.compileLiteral;
  proto.compileLiteral = function (this: Compiler, node: AnyNode, frame: any) {
    if (node.pyFloat) this._emit(`new runtime.py.PyFloat(${node.value})`);
    else compileLiteral.call(this, node, frame);
  };
  const compileGroup = proto.compileGroup;
  proto.compileGroup = function (this: Compiler, node: AnyNode, frame: any) {
    if (!node.pyTuple) return compileGroup.call(this, node, frame);
    this._emit("runtime.py.tuple(");
    this._compileAggregate(node, frame, "[", "]");
    this._emit(")");
  };
  proto.compilePySlice = function (this: Compiler, node: AnyNode, frame: any) {
    emitCall(this, frame, "slice", [node.target, node.start, node.stop, node.step]);
  };
  const compileInlineIf = proto.compileInlineIf;
  proto.compileInlineIf = function (this: Compiler, node: AnyNode, frame: any) {
    node.cond = truth(node.cond);
    if (node.else_ === null) node.else_ = new PyCallNode(node.lineno, node.colno, "noElse", []);
    compileInlineIf.call(this, node, frame);
  };
  const compileIf = proto.compileIf;
  proto.compileIf = function (this: Compiler, node: AnyNode, frame: any, async?: boolean) {
    node.cond = truth(node.cond);
    this._emitLine(`lineno = ${node.lineno + 1}; colno = ${node.colno + 1};`);
    compileIf.call(this, node, frame, async);
  };

  proto.compileOutput = function (this: Compiler, node: AnyNode, frame: any) {
    for (const child of node.children as AnyNode[]) {
      if (child instanceof nodes.TemplateData!) {
        if (child.value) {
          this._emit(`${this.buffer} += `);
          this.compileLiteral(child, frame);
          this._emitLine(";");
        }
      } else {
        this._emit(`lineno = ${child.lineno + 1}; colno = ${child.colno + 1}; ${this.buffer} += runtime.py.output(`);
        this._compileExpression(child, frame);
        this._emitLine(");");
      }
    }
  };

  const bind = (self: Compiler, target: AnyNode, item: string, frame: any) => {
    const names: AnyNode[] = target instanceof nodes.Array! ? target.children : [target];
    let source = [item];
    if (target instanceof nodes.Array!) {
      const parts = self._tmpid();
      self._emitLine(`var ${parts} = runtime.py.unpack(${item}, ${names.length});`);
      source = names.map((_, i) => `${parts}[${i}]`);
    }
    names.forEach((name, i) => {
      const id = self._tmpid();
      self._emitLine(`var ${id} = ${source[i]}; frame.set(${JSON.stringify(name.value)}, ${id});`);
      frame.set(name.value, id);
    });
  };

  proto.compileFor = function (this: Compiler, node: AnyNode, outer: any) {
    const frame = outer.push();
    const items = this._tmpid();
    const i = this._tmpid();
    const loop = this._tmpid();
    this._emitLine(`lineno = ${node.lineno + 1}; colno = ${node.colno + 1};`);
    this._emitLine("frame = frame.push();");
    this._emit(`var ${items} = runtime.py.iterate(`);
    this._compileExpression(node.arr, frame);
    this._emitLine(");");
    if (node.pyFilter) {
      const kept = this._tmpid();
      const item = this._tmpid();
      this._emitLine(`var ${kept} = []; for (var ${i} = 0; ${i} < ${items}.length; ${i}++) { var ${item} = ${items}[${i}];`);
      bind(this, node.name, item, frame);
      this._emit(`if (runtime.py.test(`);
      this._compileExpression(node.pyFilter, frame);
      this._emitLine(`)) ${kept}.push(${item}); }`);
      this._emitLine(`${items} = ${kept};`);
    }
    const item = this._tmpid();
    this._emitLine(`var ${loop} = new runtime.py.Loop(${items}); frame.set("loop", ${loop});`);
    frame.set("loop", loop);
    this._emitLine(`for (var ${i} = 0; ${i} < ${items}.length; ${i}++) { ${loop}.index0 = ${i}; var ${item} = ${items}[${i}];`);
    bind(this, node.name, item, frame);
    this._withScopedSyntax(() => this.compile(node.body, frame));
    this._emitLine("}");
    if (node.else_) {
      this._emitLine(`if (!${items}.length) {`);
      this.compile(node.else_, frame);
      this._emitLine("}");
    }
    this._emitLine("frame = frame.pop();");
  };

  proto.compilePyWith = function (this: Compiler, node: AnyNode, outer: any) {
    const frame = outer.push();
    this._emitLine("frame = frame.push();");
    (node.targets as AnyNode[]).forEach((target, index) => {
      const id = this._tmpid();
      this._emit(`var ${id} = `);
      this._compileExpression(node.values[index], outer);
      this._emitLine(`; frame.set(${JSON.stringify(target.value)}, ${id});`);
      frame.set(target.value, id);
    });
    this._withScopedSyntax(() => this.compile(node.body, frame));
    this._emitLine("frame = frame.pop();");
  };

  proto.compileSet = function (this: Compiler, node: AnyNode, frame: any) {
    const targets = node.targets as AnyNode[];
    if (targets.length === 1 && targets[0] instanceof nodes.LookupVal!) {
      const target = targets[0]!;
      this._emit("runtime.py.setattr(");
      this._compileExpression(target.target, frame);
      this._emit(", ");
      this._compileExpression(target.val, frame);
      this._emit(", ");
      this._compileExpression(node.value, frame);
      this._emitLine(");");
      return;
    }
    this._emitLine(`lineno = ${node.lineno + 1}; colno = ${node.colno + 1};`);
    const ids = targets.map((target) => {
      const existing = frame.variables && Object.hasOwn(frame.variables, target.value) ? frame.variables[target.value] : undefined;
      if (existing) return existing as string;
      const id = this._tmpid();
      this._emitLine(`var ${id};`);
      return id;
    });
    const value = this._tmpid();
    this._emit(`var ${value} = `);
    if (node.value) this._compileExpression(node.value, frame);
    else this.compile(node.body, frame);
    this._emitLine(";");
    if (ids.length === 1) this._emitLine(`${ids[0]} = ${value};`);
    else this._emitLine(`var ${value}_parts = runtime.py.unpack(${value}, ${ids.length}); ${ids.map((id, i) => `${id} = ${value}_parts[${i}];`).join(" ")}`);
    targets.forEach((target, i) => {
      const name = JSON.stringify(target.value);
      // Not resolving upwards: a set inside a loop or `with` stays there, as in Jinja2.
      this._emitLine(`frame.set(${name}, ${ids[i]});`);
      this._emitLine(`if (frame.topLevel) { context.setVariable(${name}, ${ids[i]}); }`);
      if (!String(target.value).startsWith("_")) this._emitLine(`if (frame.topLevel) { context.addExport(${name}, ${ids[i]}); }`);
    });
  };
}
