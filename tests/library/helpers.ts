/**
 * Helpers for the library tests: a temporary project deployed locally
 * through the real CLI (`bun batou.ts deploy ENV --json`).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const BATOU = join(import.meta.dir, "../../batou.ts");

export interface Project {
  dir: string;
  /** `work/<component>` of the project. */
  work: (component: string) => string;
}

/**
 * A project with `files` (paths relative to the project root) and an
 * environment `local` deploying `components` to localhost.
 */
export function makeProject(files: Record<string, string>, components: string[], extraEnv = ""): Project {
  const dir = mkdtempSync(join(tmpdir(), "batou-lib-"));
  const all: Record<string, string> = {
    "environments/local.toml": `[environment]\nconnect_method = "local"\n${extraEnv}\n[hosts.localhost]\ncomponents = ${JSON.stringify(components)}\n`,
    ...files,
  };
  for (const [path, content] of Object.entries(all)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return { dir, work: (component) => join(dir, "work", component) };
}

export interface Deployed {
  code: number;
  events: Record<string, any>[];
  summary: Record<string, any>;
  stdout: string;
  stderr: string;
  /** Components reported as changed. */
  changed: string[];
  logs: string[];
  diffs: Record<string, any>[];
  errors: Record<string, any>[];
}

/** Runs `batou deploy local --json` (with `-P` when predicting). */
export function deploy(project: Project, options: { predict?: boolean; env?: Record<string, string> } = {}): Deployed {
  const args = ["bun", BATOU, "deploy", "local", "--json", ...(options.predict ? ["-P"] : [])];
  const proc = Bun.spawnSync(args, { cwd: project.dir, env: { ...process.env, ...options.env }, stdout: "pipe", stderr: "pipe" });
  return parse(proc.stdout.toString(), proc.stderr.toString(), proc.exitCode ?? -1);
}

/** A component file importing everything from "batou". */
export function component(body: string, imports = "Component"): string {
  return `import { ${imports} } from "batou";\n${body}\n`;
}

/** Like `deploy`, but without blocking this process (for servers the test runs itself). */
export async function deployAsync(project: Project, options: { predict?: boolean; env?: Record<string, string> } = {}): Promise<Deployed> {
  const args = ["bun", BATOU, "deploy", "local", "--json", ...(options.predict ? ["-P"] : [])];
  const proc = Bun.spawn(args, { cwd: project.dir, env: { ...process.env, ...options.env }, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return parse(stdout, stderr, code);
}

function parse(stdout: string, stderr: string, code: number): Deployed {
  const events = stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line));
  return {
    code,
    events,
    summary: events.find((e) => e.event === "summary") ?? {},
    stdout,
    stderr,
    changed: events.filter((e) => e.event === "component" && e.changed).map((e) => e.component),
    logs: events.filter((e) => e.event === "log").map((e) => e.message),
    diffs: events.filter((e) => e.event === "diff"),
    errors: events.filter((e) => e.event === "error"),
  };
}
