/**
 * Loads a project's component definitions: every `components/<dir>/component.ts`,
 * in sorted order; every exported `Component` subclass becomes a component
 * named after its class in lower case. A file that fails to load is reported
 * with its file and line; two components with one name name both files.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import "../plugin.ts"; // component files import from "batou"
import { Component } from "./component.ts";
import { BatouError, ConfigurationError, userFrame } from "./errors.ts";
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

/** Turns an import failure (syntax, resolution, a throw at top level) into a located error. */
function loadError(file: string, projectRoot: string, error: unknown): BatouError {
  const e = error as { message?: string; position?: { file?: string; line?: number; lineText?: string } };
  const shown = relative(projectRoot, file);
  if (e?.position?.line) {
    return new ConfigurationError(`cannot load the component file: ${e.message}`, {
      file: relative(projectRoot, e.position.file ?? file),
      line: e.position.line,
      source: e.position.lineText?.trim(),
    });
  }
  const frame = userFrame(error, projectRoot);
  return new ConfigurationError(`cannot load the component file: ${e?.message ?? String(error)}`, {
    file: frame?.file ?? shown,
    line: frame?.line ?? importLine(file, e?.message),
  });
}

/** The line that imports the module an unresolved import names (the runtime reports no position). */
function importLine(file: string, message: string | undefined): number | undefined {
  const specifier = message?.match(/Cannot find (?:package|module) ['"]([^'"]+)['"]/)?.[1];
  if (!specifier) return undefined;
  const index = readFileSync(file, "utf8")
    .split("\n")
    .findIndex((line) => line.includes(`"${specifier}"`) || line.includes(`'${specifier}'`));
  return index >= 0 ? index + 1 : undefined;
}

export async function loadComponents(projectRoot: string): Promise<LoadedComponents> {
  const definitions = new Map<string, ComponentDefinition>();
  const errors: BatouError[] = [];
  const failed = new Map<string, string>();
  for (const file of componentFiles(projectRoot)) {
    let module: Record<string, unknown>;
    try {
      module = await import(file);
    } catch (error) {
      errors.push(loadError(file, projectRoot, error));
      for (const name of declaredClasses(file)) failed.set(name, relative(projectRoot, file));
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
