/**
 * An INI override (always a string in batou) as the TOML value its attribute takes
 * here, where the component's Python tells the attribute's type; otherwise the
 * string, with a note. Template strings stay strings: the attribute expands them
 * at deploy time, as batou did. Notes never contain the value: they are printed for
 * secrets too.
 */
import type { AttributeKind, AttributeModel, ClassModel } from "./component-model.ts";
import { pythonLiterals } from "./python-ast.ts";
import { hasTomlForm } from "./toml-text.ts";

export interface OverrideInput {
  component: string;
  key: string;
  text: string;
}

export interface OverrideResult {
  value: unknown;
  /** What the user should know (a difference from batou, a guess). */
  note?: string;
  /** True when the note asks for a decision. */
  hand?: boolean;
}

const TEMPLATE = /\{\{|\{%|\{#/;
const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const TRUE = new Set(["true", "yes", "on", "1"]);
const FALSE = new Set(["false", "no", "off", "0", ""]);

/** The attribute model of `key` of root component `component`, if the Python declares it. */
export function findAttribute(models: Map<string, ClassModel>, component: string, key: string): AttributeModel | undefined {
  return models.get(component)?.attributes.get(key);
}

function convertOne(kind: AttributeKind, declared: AttributeModel["declared"], text: string, literal: { value: unknown } | null | undefined): OverrideResult {
  const expands = declared === "Attribute";
  if (expands && TEMPLATE.test(text)) return { value: text };
  switch (kind) {
    case "integer":
      if (INTEGER.test(text.trim()) && Number.isSafeInteger(Number(text))) return { value: Number(text) };
      return { value: text, note: `not a decimal integer; kept as a string`, hand: true };
    case "number":
      if (DECIMAL.test(text.trim())) return { value: Number(text) };
      return { value: text, note: `not a decimal number; kept as a string`, hand: true };
    case "boolean": {
      const word = text.trim().toLowerCase();
      if (TRUE.has(word)) return { value: true };
      if (FALSE.has(word)) {
        return { value: false, note: "written as false; batou read this non-empty string as true (Python's bool() of a string)", hand: word !== "" };
      }
      return { value: text, note: `not a boolean; kept as a string`, hand: true };
    }
    case "list":
      return { value: text.split(",").map((x) => x.trim()).filter(Boolean) };
    case "literal":
      if (literal && hasTomlForm(literal.value)) return { value: literal.value };
      return { value: text, note: literal ? "a Python literal without a TOML form (None inside); kept as a string" : "not a Python literal; kept as a string", hand: !literal };
    case "raw-container":
      return {
        value: text,
        note: "batou assigned this string to an attribute whose default is a list or dict; here an override takes the default's type: write a TOML array or table, or declare the attribute with attribute()",
        hand: true,
      };
    default:
      return { value: text };
  }
}

/** Converts every override at once (Python literals are read in one run of Python). */
export function convertOverrides(inputs: OverrideInput[], models: Map<string, ClassModel>): OverrideResult[] {
  const attributes = inputs.map((i) => findAttribute(models, i.component, i.key));
  const literalIndexes = inputs.map((_, n) => n).filter((n) => attributes[n]?.kind === "literal");
  const literals = new Map<number, { value: unknown } | null>();
  pythonLiterals(literalIndexes.map((n) => inputs[n].text)).forEach((result, i) => literals.set(literalIndexes[i], result));
  return inputs.map((input, n) => {
    const attribute = attributes[n];
    if (!models.has(input.component)) {
      return { value: input.text, note: `no component "${input.component}" in components/*/component.py; kept as a string`, hand: true };
    }
    if (!attribute) {
      return { value: input.text, note: `the Python of "${input.component}" declares no attribute "${input.key}" (inherited from a library class?); kept as a string` };
    }
    return convertOne(attribute.kind, attribute.declared, input.text, literals.get(n));
  });
}
