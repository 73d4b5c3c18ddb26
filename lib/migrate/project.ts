/**
 * `batou migrate-python`: reads a batou 2.x project and writes this tool's files
 * beside it (or into another folder): environments, secrets, component skeletons,
 * the launcher, and a report. Everything is computed first; only then is anything
 * written, each file atomically, and a file that exists already is kept.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import * as batou from "../batou.ts";
import { writeFileAtomic } from "../engine/atomic-file.ts";
import { ConfigurationError } from "../engine/errors.ts";
import { GITIGNORE_LINES, ownTypes, projectFiles, renderLauncher, TYPES_PATH } from "../bootstrap/new-project.ts";
import { RELEASE } from "../bootstrap/release-info.ts";
import { classModels, type ClassModel } from "./component-model.ts";
import { componentSkeleton } from "./component-skeleton.ts";
import { convertEnvironment } from "./environment.ts";
import { IniError, parseIni } from "./ini.ts";
import { parsePython, type ParsedPython } from "./python-ast.ts";
import { fileReport, type FileReport, type MigrationReport } from "./report.ts";
import { hasBatouSecrets, migrateSecrets, type SecretsOptions } from "./secrets.ts";

export interface MigrateOptions extends SecretsOptions {
  /** The batou 2.x project. */
  project: string;
  /** Where to write (default: the project itself). */
  out?: string;
  dryRun?: boolean;
}

/** One file to write: path relative to the output folder. */
interface Planned {
  path: string;
  content?: string | Uint8Array;
  /** Copy this file instead of writing content. */
  copyFrom?: string;
  mode?: number;
  report: FileReport;
}

/** An environment of the batou project: its name, INI file and the folder of its secrets. */
export interface BatouEnvironment {
  name: string;
  file: string;
  /** `environments/NAME/` (batou 2.3+), where secrets live. */
  folder?: string;
  /** batou before 2.3: `environments/NAME.cfg`, secrets in `secrets/`. */
  legacy: boolean;
}

/** The environments of a batou project, sorted by name. */
export function batouEnvironments(project: string): BatouEnvironment[] {
  const base = join(project, "environments");
  if (!existsSync(base)) return [];
  const found = new Map<string, BatouEnvironment>();
  for (const entry of readdirSync(base, { withFileTypes: true })) {
    if (entry.isDirectory() && existsSync(join(base, entry.name, "environment.cfg"))) {
      found.set(entry.name, { name: entry.name, file: join(base, entry.name, "environment.cfg"), folder: join(base, entry.name), legacy: false });
    } else if (entry.isFile() && entry.name.endsWith(".cfg") && !found.has(entry.name.slice(0, -4))) {
      const name = entry.name.slice(0, -4);
      found.set(name, { name, file: join(base, entry.name), legacy: true });
    }
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function componentDirs(project: string): string[] {
  const base = join(project, "components");
  if (!existsSync(base)) return [];
  return readdirSync(base, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(base, e.name, "component.py")))
    .map((e) => join(base, e.name))
    .sort();
}

/** Files of a component folder besides its Python (templates and other sources), relative to it. */
function componentFiles(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = join(prefix, entry.name);
    if (entry.name === "__pycache__" || entry.name.endsWith(".pyc") || (prefix === "" && entry.name === "component.py")) continue;
    if (entry.isDirectory()) out.push(...componentFiles(dir, rel));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}

/** Names the "batou" module exports (counterparts are used only when they exist). */
function availableNames(): Set<string> {
  return new Set(Object.keys(batou));
}

function readComponents(project: string, plan: Planned[], reports: FileReport[]): Map<string, ClassModel> {
  const dirs = componentDirs(project);
  const models = new Map<string, ClassModel>();
  let parsed: ParsedPython[];
  try {
    parsed = parsePython(dirs.map((d) => readFileSync(join(d, "component.py"), "utf8")));
  } catch (error) {
    for (const dir of dirs) {
      const report = fileReport(relative(project, join(dir, "component.py")));
      report.hand.push(`${(error as Error).message}; this component was not migrated, and override types of its attributes are not known`);
      reports.push(report);
    }
    return models;
  }
  const available = availableNames();
  dirs.forEach((dir, i) => {
    const source = relative(project, join(dir, "component.py"));
    const report = fileReport(source);
    reports.push(report);
    const result = parsed[i];
    if (!result.ok) {
      report.hand.push(`line ${result.line}: Python refuses this file: ${result.message} (batou could not load it either); not migrated`);
      return;
    }
    for (const model of classModels(result.module).classes) if (model.isComponent) models.set(model.name.toLowerCase(), model);
    const skeleton = componentSkeleton(result, available, "component.py");
    report.converted.push(...skeleton.converted);
    report.hand.push(...skeleton.hand);
    const target = relative(project, join(dir, "component.ts"));
    plan.push({ path: target, content: skeleton.text, report });
    for (const file of componentFiles(dir)) {
      const rel = relative(project, join(dir, file));
      plan.push({ path: rel, copyFrom: join(dir, file), report });
    }
  });
  return models;
}

function readEnvironments(project: string, models: Map<string, ClassModel>, plan: Planned[], reports: FileReport[]): Map<string, string[]> {
  const hostsByEnvironment = new Map<string, string[]>();
  for (const env of batouEnvironments(project)) {
    const source = relative(project, env.file);
    const report = fileReport(source);
    reports.push(report);
    let converted;
    try {
      converted = convertEnvironment(parseIni(readFileSync(env.file, "utf8"), source), models, report, source);
    } catch (error) {
      if (!(error instanceof IniError)) throw error;
      report.hand.push(`${error.message} (Python's configparser refuses it, so batou did too); not migrated`);
      continue;
    }
    hostsByEnvironment.set(env.name, converted.hosts);
    const single = env.legacy && !hasBatouSecrets(project, env);
    const target = single ? join("environments", `${env.name}.toml`) : join("environments", env.name, "environment.toml");
    plan.push({ path: target, content: converted.toml, report });
  }
  return hostsByEnvironment;
}

/** batou used `ssh_config_<env>`, else `ssh_config`, from the project root; so does this tool: they are copied as they are. */
function sshConfigs(project: string, environments: string[], plan: Planned[], reports: FileReport[]): void {
  for (const name of ["ssh_config", ...environments.map((e) => `ssh_config_${e}`)]) {
    if (!existsSync(join(project, name))) continue;
    const report = fileReport(name);
    report.converted.push(name === "ssh_config" ? "used as it is for every environment without its own ssh_config_<env>" : `used as it is for environment ${name.slice("ssh_config_".length)}`);
    plan.push({ path: name, copyFrom: join(project, name), report });
    reports.push(report);
  }
}

/** The launcher, .gitignore and editor setup, as `batou init` writes them (without its example). */
function projectSetup(plan: Planned[], reports: FileReport[]): void {
  const report = fileReport("(project)");
  report.converted.push("the batou.ts launcher, .gitignore, tsconfig.json and editor types, as batou init writes them");
  const launcher = renderLauncher({ version: RELEASE.version, url: process.env.BATOU_RELEASE_URL?.replace(/\/+$/, "") || RELEASE.url, keys: RELEASE.publicKeys });
  const files = projectFiles(launcher, ownTypes());
  for (const [path, content] of Object.entries(files)) {
    if (path.startsWith("components/") || path.startsWith("environments/")) continue;
    plan.push({ path, content, mode: path === "batou.ts" ? 0o755 : 0o644, report });
  }
  reports.push(report);
}

function write(out: string, plan: Planned[]): void {
  for (const item of plan) {
    const target = join(out, item.path);
    if (item.path === ".gitignore" && existsSync(target)) {
      const have = readFileSync(target, "utf8");
      const lines = new Set(have.split("\n").map((l) => l.trim()));
      const missing = GITIGNORE_LINES.filter((l) => !lines.has(l));
      if (missing.length) writeFileAtomic(target, `${have}${have.endsWith("\n") || !have ? "" : "\n"}${missing.join("\n")}\n`);
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    if (item.copyFrom) {
      if (resolve(item.copyFrom) !== resolve(target)) copyFileSync(item.copyFrom, target);
      continue;
    }
    writeFileAtomic(target, item.content!, { mode: item.mode ?? (typeof item.content === "string" ? 0o644 : 0o600) });
  }
}

/** Migrates the project; writes nothing under `dryRun`. */
export async function migrateProject(options: MigrateOptions): Promise<MigrationReport> {
  const project = resolve(options.project);
  const out = resolve(options.out ?? project);
  if (!existsSync(join(project, "environments")) && !existsSync(join(project, "components"))) {
    throw new ConfigurationError("cannot migrate: no batou project here (neither environments/ nor components/)", {
      directory: project,
      hint: "run batou migrate-python in the root of the Python batou project, or name it: batou migrate-python PATH",
    });
  }
  const reports: FileReport[] = [];
  const plan: Planned[] = [];
  const models = readComponents(project, plan, reports);
  const hosts = readEnvironments(project, models, plan, reports);
  const environments = batouEnvironments(project);
  for (const env of environments) {
    if (!hosts.has(env.name)) continue;
    const sealed = await migrateSecrets(project, env, models, hosts.get(env.name)!, options);
    for (const file of sealed.files) plan.push({ path: file.path, content: file.content, mode: 0o644, report: sealed.report });
    if (sealed.report.converted.length || sealed.report.hand.length) reports.push(sealed.report);
  }
  sshConfigs(project, environments.map((e) => e.name), plan, reports);
  projectSetup(plan, reports);
  const keep = new Set<Planned>();
  for (const item of plan) {
    const target = join(out, item.path);
    if (item.copyFrom && resolve(item.copyFrom) === resolve(target)) continue; // a template beside its component.ts already
    item.report.outputs.push(item.path);
    if (existsSync(target) && item.path !== ".gitignore" && item.path !== TYPES_PATH) {
      keep.add(item);
      item.report.hand.push(`${item.path} exists already; kept (remove it to migrate it again)`);
    }
  }
  if (!options.dryRun) write(out, plan.filter((p) => !keep.has(p)));
  const where = out === process.cwd() ? "" : `cd ${relative(process.cwd(), out) || "."} && `;
  const next = environments.filter((e) => hosts.has(e.name)).map((e) => `${where}bun batou.ts deploy ${e.name} -c`);
  return { project, out, dryRun: options.dryRun ?? false, files: reports, next };
}
