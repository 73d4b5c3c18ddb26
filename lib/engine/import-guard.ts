/**
 * What a component file may import: `"batou"`, the runtime's built-ins
 * (`node:fs`, `fs`, `bun`, `bun:sqlite`, ...) and files of the project. A
 * package name is refused before anything is imported: Bun would otherwise
 * auto-install it from the registry (and run it) under `bun batou.ts`, while
 * the compiled agent on a host cannot, so a project would behave differently
 * in the two places and fetch code at deploy time.
 *
 * The check reads each file's imports with Bun's transpiler (type-only
 * imports do not count; they never load), follows imports of project files,
 * and reports syntax errors of any file it reads with line, column and the
 * parser's message.
 */
import { readFileSync, realpathSync } from "node:fs";
import { isBuiltin } from "node:module";
import { dirname, extname, isAbsolute, relative, sep } from "node:path";
import { type BatouError, ConfigurationError } from "./errors.ts";

const ALLOWED = 'components may import "batou", node: and bun: built-ins and files of the project';
const SCANNED = new Set([".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"]);

/** A parser message as Bun reports it (a BuildMessage). */
interface BuildMessage {
  message: string;
  position?: { file?: string; line?: number; column?: number; lineText?: string } | null;
}

/** Parser errors (a BuildMessage, or an AggregateError of several) as located errors of `file`. */
export function syntaxErrors(error: unknown, file: string, root: string): BatouError[] | undefined {
  const list: BuildMessage[] =
    error instanceof AggregateError ? (error.errors as BuildMessage[]) : [error as BuildMessage];
  if (!list.every((item) => item && typeof item.message === "string" && item.position?.line)) return undefined;
  return list.map(
    (item) =>
      new ConfigurationError(`syntax error: ${item.message}`, {
        file: relative(root, item.position!.file && isAbsolute(item.position!.file) ? item.position!.file : file),
        line: item.position!.line,
        column: item.position!.column,
        source: item.position!.lineText?.trim() || undefined,
      }),
  );
}

function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root + sep);
}

/** The line of `file` that names `specifier` in quotes (the transpiler gives no positions for imports). */
function importLine(source: string, specifier: string): number | undefined {
  const index = source.split("\n").findIndex((line) => line.includes(`"${specifier}"`) || line.includes(`'${specifier}'`) || line.includes(`\`${specifier}\``));
  return index >= 0 ? index + 1 : undefined;
}

/** True for the runtime's own modules, which exist wherever batou runs. */
function isRuntimeModule(specifier: string): boolean {
  return isBuiltin(specifier) || specifier === "bun" || specifier.startsWith("bun:");
}

const transpiler = new Bun.Transpiler({ loader: "tsx" });

/**
 * Checks `entry` and every project file it imports, transitively; returns
 * every problem (syntax errors, refused imports, imports that resolve to
 * nothing or to a file outside the project).
 */
export function checkImports(entry: string, projectRoot: string): BatouError[] {
  // Real paths throughout: a symlink must not lead an import out of the project unnoticed.
  const root = realpathSync(projectRoot);
  const errors: BatouError[] = [];
  const seen = new Set<string>();
  const queue = [realpathSync(entry)];
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, "utf8");
    let imports: { path: string; kind: string }[];
    try {
      imports = transpiler.scanImports(source);
    } catch (error) {
      errors.push(...(syntaxErrors(error, file, root) ?? [new ConfigurationError(`cannot read the imports: ${String(error)}`, { file: relative(root, file) })]));
      continue;
    }
    for (const { path: specifier } of imports) {
      if (specifier === "batou" || isRuntimeModule(specifier)) continue;
      const where = { file: relative(root, file), line: importLine(source, specifier) };
      if (!specifier.startsWith(".") && !isAbsolute(specifier)) {
        errors.push(new ConfigurationError(`${where.file} imports "${specifier}": ${ALLOWED}`, { ...where, hint: "batou never installs or fetches packages" }));
        continue;
      }
      let resolved: string;
      try {
        resolved = realpathSync(Bun.resolveSync(specifier, dirname(file)));
      } catch {
        errors.push(new ConfigurationError(`${where.file} imports "${specifier}": no such file`, where));
        continue;
      }
      if (!inside(root, resolved) || resolved.split(sep).includes("node_modules")) {
        errors.push(new ConfigurationError(`${where.file} imports "${specifier}": a file outside the project (${ALLOWED})`, where));
        continue;
      }
      if (SCANNED.has(extname(resolved))) queue.push(resolved);
    }
  }
  return errors;
}
