/**
 * CI gate: the runtime import graph of lib/ and batou.ts has no cycles.
 * Type-only imports are left out: they are erased before anything runs, so
 * they cannot make a module see another half-initialised, and types that refer
 * to each other (Component and RootComponent) are the model, not a tangle.
 *
 * `bun scripts/check-cycles.ts` prints each cycle as `a.ts -> b.ts -> a.ts` and exits 1.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(import.meta.dir, "..");
const transpiler = new Bun.Transpiler({ loader: "ts" });

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (name.endsWith(".ts") && !name.endsWith(".test.ts") && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

/** Relative runtime imports of `file` (static and dynamic; the transpiler drops type-only ones). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8").replace(/^#!.*/, "");
  const specs = new Set(transpiler.scanImports(text).map((i) => i.path));
  return [...specs].filter((s) => s.startsWith(".")).map((s) => resolve(dirname(file), s)).filter((p) => existsSync(p));
}

const files = [join(root, "batou.ts"), ...sources(join(root, "lib"))];
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const state = new Map<string, "active" | "done">();
const stack: string[] = [];
const cycles: string[] = [];

function visit(file: string): void {
  state.set(file, "active");
  stack.push(file);
  for (const next of graph.get(file) ?? []) {
    const s = state.get(next);
    if (s === "active") cycles.push([...stack.slice(stack.indexOf(next)), next].map((f) => relative(root, f)).join(" -> "));
    else if (s === undefined) visit(next);
  }
  stack.pop();
  state.set(file, "done");
}
for (const f of files) if (!state.has(f)) visit(f);

if (cycles.length) {
  console.error(`${cycles.length} import cycle(s) in lib/:\n${cycles.map((c) => `  ${c}`).join("\n")}`);
  process.exit(1);
}
console.log(`no import cycles (${files.length} modules)`);
