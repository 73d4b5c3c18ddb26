/**
 * Jinja2-style templates through nunjucks, made strict: an undefined name or
 * attribute is an error naming it (like Jinja2's StrictUndefined), `null`
 * renders as `None` (as Jinja2 renders Python's None), trailing newlines are
 * kept, and `@@ for x in y` line statements work as in batou.
 *
 * @example
 * ```ts
 * renderTemplate("Hello {{ host.name }}", { host: { name: "web1" } }, "greeting"); // "Hello web1"
 * ```
 */
import nunjucks from "nunjucks";
import { ConfigurationError } from "./errors.ts";

type Runtime = {
  contextOrFrameLookup(context: unknown, frame: unknown, name: string): unknown;
  memberLookup(obj: unknown, key: unknown): unknown;
  ensureDefined(value: unknown, line: number, col: number): unknown;
  suppressValue(value: unknown, autoescape: boolean): unknown;
};

const runtime = (nunjucks as unknown as { runtime: Runtime }).runtime;

/** The name of the last lookup that found nothing, for the error message. */
let lastMissing: string | undefined;

// Patched once, globally: nunjucks offers no hooks for strict lookups.
if (!(runtime as { __batouStrict?: boolean }).__batouStrict) {
  (runtime as { __batouStrict?: boolean }).__batouStrict = true;
  const lookup = runtime.contextOrFrameLookup;
  runtime.contextOrFrameLookup = (context, frame, name) => {
    const value = lookup(context, frame, name);
    if (value === undefined) lastMissing = `'${name}'`;
    return value;
  };
  const member = runtime.memberLookup;
  runtime.memberLookup = (obj, key) => {
    if (obj === undefined || obj === null) {
      throw new nunjucks.lib.TemplateError(`cannot read attribute '${String(key)}' of ${lastMissing ?? "an undefined value"}`, 0, 0);
    }
    const value = member(obj, key);
    if (value === undefined) lastMissing = `'${String(key)}'`;
    return value;
  };
  runtime.ensureDefined = (value, line, col) => {
    if (value === undefined) {
      throw new nunjucks.lib.TemplateError(`${lastMissing ?? "a name"} is undefined`, line + 1, col + 1);
    }
    return value;
  };
  const suppress = runtime.suppressValue;
  runtime.suppressValue = (value, autoescape) => suppress(value === null ? "None" : value, autoescape);
}

const engine = new nunjucks.Environment(null, {
  autoescape: false,
  throwOnUndefined: true,
  trimBlocks: false,
  lstripBlocks: false,
});

/** Rewrites batou's `@@ statement` lines into `{% statement %}` tags. */
function lineStatements(source: string): string {
  if (!source.includes("@@")) return source;
  return source.replace(/^[ \t]*@@[ \t]*(.+?)[ \t]*(?:\r?\n|$)/gm, "{% $1 %}");
}

/**
 * Compiled templates by source text. Compiling is what costs (the same
 * template renders for every host and every configure round); rendering a
 * compiled one is cheap.
 */
const cache = new Map<string, nunjucks.Template>();
const CACHE_LIMIT = 2000;

function compiled(source: string): nunjucks.Template {
  let template = cache.get(source);
  if (!template) {
    template = new nunjucks.Template(lineStatements(source), engine, undefined, true);
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(source, template);
  }
  return template;
}

/** Sizes beyond which we warn: big templates are slow and usually a mistake. */
export const LARGE_TEMPLATE_BYTES = 100 * 1024;

/**
 * Renders `source` with `context`. `identifier` names the template (a file or
 * a component path) in error messages.
 */
export function renderTemplate(source: string, context: Record<string, unknown>, identifier: string): string {
  lastMissing = undefined;
  try {
    return compiled(source).render(context);
  } catch (error) {
    const message = (error as Error).message
      .replace(/^\(unknown path\)\s*/, "")
      .replace(/\[Line (\d+), Column \d+\]/, "line $1")
      .replace(/\n\s+/g, ": ")
      .replace(/Template render error: /, "");
    throw new ConfigurationError(`template error: ${message}`, { template: identifier });
  }
}
