/**
 * docs/library.md cannot drift from the code: every exported library class has
 * a section, and every ```ts example type-checks against lib/batou.ts and loads
 * as a component module.
 */
import { afterAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as core from "../../lib/batou-core.ts";
import * as api from "../../lib/batou.ts";
import { Component } from "../../lib/batou.ts";
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
    const files: string[] = [];
    let index = 0;
    for (const [name, examples] of docs) {
      for (const code of examples) {
        const file = join(dir, "components", `${name.toLowerCase()}-${index++}`, "component.ts");
        mkdirSync(join(file, ".."), { recursive: true });
        writeFileSync(file, code + "\n");
        files.push(file);
      }
    }
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ESNext",
          module: "Preserve",
          moduleResolution: "bundler",
          lib: ["ESNext"],
          types: ["bun"],
          typeRoots: [join(ROOT, "node_modules/@types")],
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          allowImportingTsExtensions: true,
          paths: { batou: [join(ROOT, "lib/batou.ts")] },
        },
        include: ["components"],
      }),
    );
    const tsc = Bun.spawnSync([join(ROOT, "node_modules/.bin/tsc"), "-p", join(dir, "tsconfig.json")], { cwd: dir });
    const output = tsc.stdout.toString() + tsc.stderr.toString();
    // Report errors of the examples only (the library itself is checked by `bun run typecheck`).
    const exampleErrors = output.split("\n").filter((line) => line.includes("components/") && !line.startsWith(ROOT));
    expect(exampleErrors).toEqual([]);

    await import("../../lib/plugin.ts");
    for (const file of files) {
      const module = await import(file);
      const classes = Object.values(module).filter((value) => typeof value === "function" && (value as Function).prototype instanceof Component);
      expect(classes.length, `${file} exports no component`).toBe(1);
    }
  });
});
