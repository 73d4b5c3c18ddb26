/**
 * docs/library.md cannot drift from the code: every exported library class has
 * a section, and every ```ts example type-checks against lib/batou.ts and loads
 * as a component module.
 */
import { afterAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as core from "../../lib/batou-core.ts";
import * as api from "../../lib/batou.ts";
import { Component } from "../../lib/batou.ts";
import { exampleTypeErrors, writeExamples } from "../helpers/examples.ts";
import { cleanupProjects, scratchDir } from "./helpers.ts";

afterAll(cleanupProjects);

setDefaultTimeout(120_000);

const ROOT = join(import.meta.dir, "../..");
const DOC = readFileSync(join(ROOT, "docs/library.md"), "utf8");

/** `## \`Name\`` sections and their ```ts examples. */
function sections(): Map<string, string[]> {
  const result = new Map<string, string[]>();
  let current: string | undefined;
  const lines = DOC.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const heading = /^## `(\w+)`\s*$/.exec(lines[i]!);
    if (heading) {
      current = heading[1]!;
      result.set(current, []);
      continue;
    }
    if (lines[i] === "```ts") {
      const start = i + 1;
      while (i < lines.length && lines[i] !== "```") i++;
      const block = lines.slice(start, i).join("\n");
      if (!current) throw new Error(`a ts example before the first section, line ${start}`);
      result.get(current)!.push(block);
    }
  }
  return result;
}

const libraryClasses = Object.entries(api)
  .filter(([name, value]) => !(name in core) && typeof value === "function" && value.prototype instanceof Component)
  .map(([name]) => name)
  .sort();

describe("docs/library.md", () => {
  const docs = sections();

  test("every exported library class has a section with an example that uses it", () => {
    expect(libraryClasses.length).toBeGreaterThanOrEqual(18);
    const missing = libraryClasses.filter((name) => !docs.has(name));
    expect(missing).toEqual([]);
    for (const name of libraryClasses) {
      const examples = docs.get(name)!;
      expect(examples.length, `section ${name} has no example`).toBeGreaterThan(0);
      expect(examples.some((code) => code.includes(`new ${name}(`)), `no example of ${name} constructs it`).toBe(true);
    }
    const unknown = [...docs.keys()].filter((name) => !libraryClasses.includes(name));
    expect(unknown).toEqual([]);
  });

  test("every example type-checks and loads as a component module", async () => {
    const dir = scratchDir("batou-docs-");
    let index = 0;
    const files = writeExamples(
      dir,
      [...docs].flatMap(([name, examples]) => examples.map((code) => [`${name.toLowerCase()}-${index++}`, code] as [string, string])),
    );
    expect(exampleTypeErrors(dir)).toEqual([]);

    await import("../../lib/plugin.ts");
    for (const file of files) {
      const module = await import(file);
      const classes = Object.values(module).filter((value) => typeof value === "function" && (value as Function).prototype instanceof Component);
      expect(classes.length, `${file} exports no component`).toBe(1);
    }
  });
});

describe("TSDoc on the library's classes (editor hovers come from the generated batou.d.ts)", () => {
  test("every exported class in lib/library has a doc comment on the class itself", () => {
    const undocumented: string[] = [];
    for (const name of new Bun.Glob("*.ts").scanSync(join(ROOT, "lib/library"))) {
      if (name.endsWith(".test.ts")) continue;
      const lines = readFileSync(join(ROOT, "lib/library", name), "utf8").split("\n");
      lines.forEach((line, i) => {
        const cls = /^export class (\w+)/.exec(line);
        if (cls && !lines[i - 1]?.trim().endsWith("*/")) undocumented.push(`${name}: ${cls[1]}`);
      });
    }
    expect(undocumented).toEqual([]);
  });
});
