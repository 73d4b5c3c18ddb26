/**
 * Documentation examples as component modules: written into a folder's
 * `components/`, type-checked against lib/batou.ts (as a user's editor would),
 * then imported.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..", "..");

/** Writes each `[name, code]` to `dir/components/NAME/component.ts`; returns the files. */
export function writeExamples(dir: string, examples: [name: string, code: string][]): string[] {
  return examples.map(([name, code]) => {
    const file = join(dir, "components", name, "component.ts");
    mkdirSync(join(file, ".."), { recursive: true });
    writeFileSync(file, code.endsWith("\n") ? code : code + "\n");
    return file;
  });
}

/** The type errors `tsc` reports for the examples in `dir/components` (not those of batou itself). */
export function exampleTypeErrors(dir: string): string[] {
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
  // The library itself is checked by `bun run typecheck`.
  return output.split("\n").filter((line) => line.includes("components/") && !line.startsWith(ROOT));
}
