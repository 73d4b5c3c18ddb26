/**
 * Editor types for the "batou" module as one file: `tsc --declaration
 * --emitDeclarationOnly` from lib/batou.ts, then every emitted declaration
 * file wrapped in `declare module "batou/internal/<path>"` with its relative
 * imports rewritten, and `declare module "batou"` re-exporting lib/batou.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";

const moduleName = (path: string) => `batou/internal/${path.replace(/\.d\.ts$/, "").replace(/\.(ts|js|mjs)$/, "")}`;

/** Whether this checkout can generate types (TypeScript installed). */
export function canGenerateTypes(repo: string): boolean {
  return existsSync(join(repo, "node_modules", ".bin", "tsc"));
}

/** The types of lib/batou.ts in `repo` as the text of one declaration file. */
export function generateTypes(repo: string, version: string): string {
  const out = mkdtempSync(join(tmpdir(), "batou-dts-"));
  try {
    const config = join(out, "tsconfig.json");
    writeFileSync(
      config,
      JSON.stringify({
        extends: join(repo, "tsconfig.json"),
        compilerOptions: {
          noEmit: false,
          declaration: true,
          emitDeclarationOnly: true,
          outDir: join(out, "d"),
          rootDir: repo,
          typeRoots: [join(repo, "node_modules", "@types")],
        },
        files: [join(repo, "lib", "batou.ts")],
        include: [],
      }),
    );
    // Type errors elsewhere in the tree do not stop the emit; a missing entry does.
    const tsc = Bun.spawnSync([join(repo, "node_modules", ".bin", "tsc"), "-p", config], { cwd: repo });
    const entry = join(out, "d", "lib", "batou.d.ts");
    if (!existsSync(entry)) throw new Error(`tsc emitted no lib/batou.d.ts:\n${tsc.stdout.toString()}${tsc.stderr.toString()}`);
    const blocks: string[] = [];
    const seen = new Set<string>();
    const queue = ["lib/batou.d.ts"];
    while (queue.length) {
      const path = queue.shift()!;
      if (seen.has(path)) continue;
      seen.add(path);
      const text = readFileSync(join(out, "d", path), "utf8");
      const rewrite = (spec: string) => {
        if (!spec.startsWith(".")) return spec;
        const target = relative(join(out, "d"), resolve(join(out, "d"), dirname(path), spec)).replace(/\.(ts|js|mjs)$/, ".d.ts");
        queue.push(target);
        return moduleName(target);
      };
      const body = text
        .replace(/(\bfrom\s+|\bimport\()"(\.{1,2}\/[^"]+)"/g, (_m, head: string, spec: string) => `${head}"${rewrite(spec)}"`)
        .replace(/^(export )?declare /gm, "$1")
        .replace(/^export \{\};\n?/gm, "")
        .trimEnd();
      blocks.push(`declare module "${moduleName(path)}" {\n${body.replace(/^(?=.)/gm, "  ")}\n}`);
    }
    return [
      `// Editor types for the "batou" module of batou ${version}. Generated; do not edit.`,
      `// Point tsconfig.json at it: "paths": { "batou": ["./.batou/types/batou.d.ts"] }`,
      "",
      `declare module "batou" {\n  export * from "${moduleName("lib/batou.d.ts")}";\n}`,
      "",
      ...blocks.sort().map((b) => `${b}\n`),
    ].join("\n");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
