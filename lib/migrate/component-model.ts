/**
 * What a batou `component.py` declares, read from Python's syntax tree: the names
 * its imports bind, its classes with their bases, `namevar`, platform variants and
 * attributes (an `Attribute(...)` with its conversion, or a plain class attribute
 * with its default). Environment and secrets conversion use it to give overrides the
 * TOML type their attribute takes; the skeleton writer uses it to declare fields.
 */
import type { PyNode } from "./python-ast.ts";

/** What type an override of an attribute takes here, as far as the Python tells. */
export type AttributeKind =
  | "integer"
  | "number"
  | "boolean"
  | "string"
  | "list"
  | "literal"
  | "address"
  /** A plain attribute whose default is a list or dict: batou assigned the raw string. */
  | "raw-container"
  /** `None` default, a function conversion, or an expression: taken as a string. */
  | "unknown";

export interface AttributeModel {
  name: string;
  kind: AttributeKind;
  /** `Attribute(...)` (converted by batou) or a plain class attribute (assigned as a string by batou). */
  declared: "Attribute" | "plain";
  line: number;
}

export interface ClassModel {
  name: string;
  /** Bases as written (dotted), resolved through the imports where they come from one. */
  bases: string[];
  line: number;
  isComponent: boolean;
  namevar?: string;
  /** Own and inherited (same-file) attributes. */
  attributes: Map<string, AttributeModel>;
  node: PyNode;
}

/** The dotted name an expression spells (`batou.lib.file.File`), or null. */
export function dottedName(node: PyNode | null | undefined): string | null {
  if (!node) return null;
  if (node._type === "Name") return node.id;
  if (node._type === "Attribute") {
    const base = dottedName(node.value);
    return base === null ? null : `${base}.${node.attr}`;
  }
  return null;
}

/** Local names bound by the module's imports → their qualified names. */
export function importBindings(module: PyNode): Map<string, string> {
  const names = new Map<string, string>();
  for (const stmt of module.body as PyNode[]) {
    if (stmt._type === "Import") {
      for (const alias of stmt.names) {
        if (alias.asname) names.set(alias.asname, alias.name);
        else names.set(alias.name.split(".")[0], alias.name.split(".")[0]);
      }
    } else if (stmt._type === "ImportFrom" && stmt.module && !stmt.level) {
      for (const alias of stmt.names) names.set(alias.asname ?? alias.name, `${stmt.module}.${alias.name}`);
    }
  }
  return names;
}

/** Resolves a dotted name through the imports: `File` → `batou.lib.file.File`; unknown names stay. */
export function qualify(dotted: string, imports: Map<string, string>): string {
  const [head, ...rest] = dotted.split(".");
  const bound = imports.get(head);
  if (bound === undefined) return dotted;
  return [bound, ...rest].join(".");
}

const BUILTIN_CONVERSIONS: Record<string, AttributeKind> = {
  int: "integer",
  float: "number",
  bool: "boolean",
  str: "string",
};

/** The kind of `Attribute(conversion, ...)`'s conversion argument. */
function conversionKind(node: PyNode | undefined, imports: Map<string, string>): AttributeKind {
  if (!node) return "string";
  if (node._type === "Constant" && typeof node.value === "string") {
    return node.value === "list" ? "list" : node.value === "literal" ? "literal" : "unknown";
  }
  const name = dottedName(node);
  if (name === null) return "unknown";
  if (BUILTIN_CONVERSIONS[name] && !imports.has(name)) return BUILTIN_CONVERSIONS[name];
  const qualified = qualify(name, imports);
  return qualified === "batou.utils.Address" ? "address" : "unknown";
}

/** The kind of a plain class attribute from its default. */
function defaultKind(node: PyNode): AttributeKind {
  if (node._type === "Constant") {
    const v = node.value;
    if (typeof v === "boolean") return "boolean";
    if (typeof v === "string") return "string";
    if (v && typeof v === "object" && v._type === "int") return "integer";
    if (v && typeof v === "object" && v._type === "float") return "number";
    return "unknown";
  }
  if (node._type === "UnaryOp" && node.op._type === "USub") return defaultKind(node.operand);
  if (["List", "Tuple", "Dict", "Set"].includes(node._type)) return "raw-container";
  return "unknown";
}

/** The call's argument `index` or keyword `name`. */
export function argument(call: PyNode, index: number, name: string): PyNode | undefined {
  const keyword = (call.keywords as PyNode[]).find((k) => k.arg === name);
  if (keyword) return keyword.value;
  const positional = call.args as PyNode[];
  return index < positional.length && positional[index]._type !== "Starred" ? positional[index] : undefined;
}

/** True when `node` is a call of batou's `Attribute`. */
export function isAttributeCall(node: PyNode, imports: Map<string, string>): boolean {
  if (node._type !== "Call") return false;
  const name = dottedName(node.func);
  return name !== null && qualify(name, imports) === "batou.component.Attribute";
}

/** The single assigned name and value of a class-level statement, if it is one. */
export function classAssignment(stmt: PyNode): { name: string; value: PyNode } | null {
  if (stmt._type === "Assign" && stmt.targets.length === 1 && stmt.targets[0]._type === "Name") {
    return { name: stmt.targets[0].id, value: stmt.value };
  }
  if (stmt._type === "AnnAssign" && stmt.target._type === "Name" && stmt.value) return { name: stmt.target.id, value: stmt.value };
  return null;
}

/** Reads the classes of a module (top level only, in order). */
export function classModels(module: PyNode): { classes: ClassModel[]; imports: Map<string, string> } {
  const imports = importBindings(module);
  const classes: ClassModel[] = [];
  const byName = new Map<string, ClassModel>();
  for (const stmt of module.body as PyNode[]) {
    if (stmt._type !== "ClassDef") continue;
    const bases = (stmt.bases as PyNode[]).map((b) => {
      const name = dottedName(b);
      return name === null ? "?" : byName.has(name) ? name : qualify(name, imports);
    });
    const attributes = new Map<string, AttributeModel>();
    let isComponent = false;
    let namevar: string | undefined;
    for (const base of bases) {
      const local = byName.get(base);
      if (local) {
        isComponent ||= local.isComponent;
        namevar ??= local.namevar;
        for (const [k, v] of local.attributes) attributes.set(k, v);
      } else if (base === "batou.component.Component" || base.startsWith("batou.lib.")) {
        isComponent = true;
      }
    }
    for (const item of stmt.body as PyNode[]) {
      const assigned = classAssignment(item);
      if (!assigned) continue;
      const { name, value } = assigned;
      if (name === "namevar" && value._type === "Constant" && typeof value.value === "string") {
        namevar = value.value;
        continue;
      }
      if (isAttributeCall(value, imports)) {
        attributes.set(name, { name, kind: conversionKind(argument(value, 0, "conversion"), imports), declared: "Attribute", line: item.lineno ?? 0 });
      } else {
        attributes.set(name, { name, kind: defaultKind(value), declared: "plain", line: item.lineno ?? 0 });
      }
    }
    const model: ClassModel = { name: stmt.name, bases, line: stmt.lineno ?? 0, isComponent, namevar, attributes, node: stmt };
    classes.push(model);
    byName.set(stmt.name, model);
  }
  return { classes, imports };
}
