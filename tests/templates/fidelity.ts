/**
 * The template fidelity harness: renders a case with Python Jinja2 configured
 * as batou configures it (jinja2_render.py, Debian's python3-jinja2) and with
 * ours through the real `File` component, so the two outputs can be compared
 * byte for byte.
 *
 * A case is a template file and a JSON context: `component` holds the
 * rendering component's attributes, `host` and `environment` what batou's
 * Host and Environment offer, `args` the File's template arguments. A JSON
 * object with `__class__` is an object with attributes whose `__str__` is
 * what printing it gives (batou's Address and the like) and whose
 * `__methods__` map method names to what calling them returns.
 * `component.root` is not an attribute but the real root: the Python side
 * gets its `workdir`; likewise `environment.workdir_base` is the real one.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Component } from "../../lib/batou.ts";
import { File } from "../../lib/library/file.ts";
import { model, cleanupModels } from "../helpers/model.ts";
import { readManifest } from "./tools/materialize-corpus.ts";

export const PYTHON = "/usr/bin/python3";
/** Our own composite templates, each with `NAME.context.json` beside it. */
export const OWN = join(import.meta.dir, "own");
const CONTEXT_SUFFIX = ".context.json";

export interface Case {
  id: string;
  /** The template file. */
  path: string;
  context: Record<string, any>;
}

export type Rendered = { output: string } | { error: string };

/** What batou's Host and Environment look like unless a case says otherwise. */
const defaults = {
  host: { name: "web01", fqdn: "web01.example.com", data: { role: "frontend" }, service_user: "s-app" },
  environment: { name: "test", service_user: "s-app", host_domain: "example.com" },
};

/**
 * The public corpus as materialized in `dir` (tools/materialize-corpus.ts):
 * one case per manifest entry, or undefined when `dir` does not exist.
 * Throws naming the templates missing from a materialized corpus.
 */
export function corpusCases(dir: string): Case[] | undefined {
  if (!existsSync(dir)) return undefined;
  const cases = readManifest().map((entry) => ({ id: entry.id, path: join(dir, entry.id), context: entry.context as Record<string, any> }));
  const missing = cases.filter((c) => !existsSync(c.path)).map((c) => c.id);
  if (missing.length) throw new Error(`${dir} lacks ${missing.length} template(s) of the manifest (${missing.join(", ")}): run tests/templates/tools/materialize-corpus.ts again`);
  return cases;
}

/**
 * Our own templates (own/): every file `NAME` renders with the context in
 * `NAME.context.json` beside it. Throws when either is there without the other.
 */
export function ownCases(): Case[] {
  const entries = readdirSync(OWN).sort();
  const contexts = entries.filter((entry) => entry.endsWith(CONTEXT_SUFFIX));
  const templates = entries.filter((entry) => !entry.endsWith(CONTEXT_SUFFIX) && entry !== "README.md");
  const unpaired = [
    ...templates.filter((t) => !contexts.includes(t + CONTEXT_SUFFIX)).map((t) => `${t} has no ${t}${CONTEXT_SUFFIX}`),
    ...contexts.filter((c) => !templates.includes(c.slice(0, -CONTEXT_SUFFIX.length))).map((c) => `${c} has no template`),
  ];
  if (unpaired.length) throw new Error(`${OWN}: ${unpaired.join("; ")}`);
  return templates.map((t) => ({ id: `own/${t}`, path: join(OWN, t), context: JSON.parse(readFileSync(join(OWN, t + CONTEXT_SUFFIX), "utf8")) }));
}

/** Fills in the default host and environment (the test environment is always named "test"). */
export function withDefaults(context: Record<string, any>): Record<string, any> {
  return {
    ...context,
    host: { ...defaults.host, ...context.host },
    environment: { ...defaults.environment, ...context.environment, name: "test" },
  };
}

/** Renders every case with Python Jinja2 in one process. */
export function renderWithJinja2(cases: Case[]): Map<string, Rendered> {
  const input = JSON.stringify(cases.map((c) => ({ id: c.id, path: c.path, context: c.context })));
  const proc = Bun.spawnSync([PYTHON, join(import.meta.dir, "jinja2_render.py")], { stdin: Buffer.from(input), stdout: "pipe", stderr: "pipe" });
  if (proc.exitCode !== 0) throw new Error(`jinja2_render.py failed: ${proc.stderr.toString()}`);
  const results = JSON.parse(proc.stdout.toString()) as ({ id: string } & Rendered)[];
  return new Map(results.map(({ id, ...rest }) => [id, rest as Rendered]));
}

/** JSON `__class__` objects become instances whose toString is their `__str__`. */
function revive(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revive);
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const entries = Object.entries(record).filter(([key]) => !["__class__", "__str__", "__methods__"].includes(key));
    const revived = Object.fromEntries(entries.map(([key, item]) => [key, revive(item)]));
    if (!("__class__" in record)) return revived;
    const text = record.__str__;
    const methods = Object.entries((record.__methods__ ?? {}) as Record<string, unknown>).map(([name, result]) => [name, () => revive(result)]);
    const prototype = { toString: () => (text === undefined ? `<${record.__class__} object>` : String(text)), ...Object.fromEntries(methods) };
    return Object.assign(Object.create(prototype), revived);
  }
  return value;
}

/**
 * Renders `c` with ours: a component whose attributes are `context.component`
 * adds `File(target, { source: c.path })` on a host and environment built
 * from the context, and the File's content is the result. Also returns the
 * batou_generated_header ours offers, for the Python side.
 */
export function renderWithOurs(c: Case): { rendered: Rendered; header: string; root: { workdir: string }; workdirBase: string } {
  const attributes = revive(c.context.component ?? {}) as Record<string, unknown>;
  const extra = Object.fromEntries(Object.entries(c.context).filter(([key]) => !["component", "host", "environment"].includes(key)).map(([k, v]) => [k, revive(v)]));
  let header = "";
  let root = { workdir: "" };
  let workdirBase = "";
  let file: File | undefined;
  class Template extends Component {
    override configure() {
      root = { workdir: this.root.workdir };
      workdirBase = this.environment.workdirBase;
      for (const [key, value] of Object.entries(attributes)) if (key !== "root") Object.defineProperty(this, key, { value, enumerable: true, configurable: true, writable: true });
      header = String(this.templateContext().batou_generated_header);
      file = this.add(new File("/nonexistent/rendered", { source: c.path, templateArgs: (extra.args ?? {}) as Record<string, unknown> }));
    }
  }
  const host = c.context.host;
  const environment = c.context.environment;
  const m = model({
    components: { template: Template },
    hosts: { [host.name]: { components: ["template"], data: revive(host.data) as Record<string, unknown>, platform: host.platform } },
    settings: { hostDomain: environment.host_domain, serviceUser: environment.service_user },
  });
  try {
    m.configure();
    const content = file?.subComponents.find((child) => "data" in child) as { data: string } | undefined;
    return { rendered: { output: content?.data ?? "" }, header, root, workdirBase };
  } catch (error) {
    return { rendered: { error: String((error as Error).message) }, header, root, workdirBase };
  } finally {
    cleanupModels();
  }
}
