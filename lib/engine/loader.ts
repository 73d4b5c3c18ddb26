/**
 * Loads a project's component definitions: every `components/<dir>/component.ts`,
 * in sorted order; every exported `Component` subclass becomes a component
 * named after its class in lower case. Before a file is imported, its imports
 * are checked (import-guard.ts: no packages, nothing from outside the project).
 * A file that fails to load is reported with its file and line; two components
 * with one name name both files.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import "../plugin.ts"; // component files import from "batou"
import { Component } from "./component.ts";
import { BatouError, ConfigurationError, userFrame } from "./errors.ts";
import { checkImports, syntaxErrors } from "./import-guard.ts";
import type { ComponentDefinition } from "./root.ts";

export interface LoadedComponents {
  definitions: Map<string, ComponentDefinition>;
  errors: BatouError[];
  /** Class names (lower case) declared in files that failed to load → the file, for knock-on errors. */
  failed: Map<string, string>;
}

/** The component files of a project, sorted by directory name. */
export function componentFiles(projectRoot: string): string[] {
  const base = join(projectRoot, "components");
  if (!existsSync(base)) return [];
  return readdirSync(base, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(base, entry.name, "component.ts"))
    .filter((file) => existsSync(file))
    .sort();
}

function isComponentClass(value: unknown): value is new () => Component {
  return typeof value === "function" && value.prototype instanceof Component;
}

/** Turns an import failure (syntax, resolution, a throw at top level) into located errors. */
function loadErrors(file: string, projectRoot: string, error: unknown): BatouError[] {
  const syntax = syntaxErrors(error, file, projectRoot);
  if (syntax) return syntax;
  const e = error as { message?: string };
  const frame = userFrame(error, projectRoot);
  return [
    new ConfigurationError(`cannot load the component file: ${e?.message ?? String(error)}`, {
      file: frame?.file ?? relative(projectRoot, file),
      line: frame?.line,
    }),
  ];
}

export async function loadComponents(projectRoot: string): Promise<LoadedComponents> {
  const definitions = new Map<string, ComponentDefinition>();
  const errors: BatouError[] = [];
  const failed = new Map<string, string>();
  for (const file of componentFiles(projectRoot)) {
    const fail = (problems: BatouError[]) => {
      errors.push(...problems);
      for (const name of declaredClasses(file)) failed.set(name, relative(projectRoot, file));
    };
    const refused = checkImports(file, projectRoot);
    if (refused.length > 0) {
      fail(refused);
      continue;
    }
    let module: Record<string, unknown>;
    try {
      module = await import(file);
    } catch (error) {
      fail(loadErrors(file, projectRoot, error));
      continue;
    }
    for (const value of Object.values(module)) {
      if (!isComponentClass(value)) continue;
      const name = value.name.toLowerCase();
      const existing = definitions.get(name);
      if (existing && existing.factory !== value) {
        errors.push(
          new ConfigurationError(`two components are named "${name}"`, {
            file: relative(projectRoot, existing.file),
            "other file": relative(projectRoot, file),
          }),
        );
        continue;
      }
      definitions.set(name, { name, factory: value, file, defdir: dirname(file) });
    }
  }
  return { definitions, errors, failed };
}

/** The classes a file declares, by a look at its text (for a file that cannot be imported). */
function declaredClasses(file: string): string[] {
  const names = [...readFileSync(file, "utf8").matchAll(/\bclass\s+([A-Za-z_$][\w$]*)/g)].map((m) => m[1]!.toLowerCase());
  return names.length > 0 ? names : [basename(dirname(file)).toLowerCase()];
}
