/**
 * Helpers for the library tests: a temporary project, deployed in this
 * process through the real deploy code (`runDeployment`, as `batou deploy
 * local --json` runs it: environment file, component loader, configure, the
 * local connection, the JSON reporter); the CLI itself is tested end to end
 * in tests/e2e. A test file removes the folders it made with
 * `afterAll(cleanupProjects)` (see scratch.ts).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { deployExtensions } from "../../lib/cli/extensions.ts";
import { runDeployment } from "../../lib/engine/deployment.ts";
import { componentFiles } from "../../lib/engine/loader.ts";
import { Reporter } from "../../lib/engine/reporter.ts";
import { scratchDir } from "./scratch.ts";

export { cleanupProjects, scratchDir } from "./scratch.ts";

export const BATOU = join(import.meta.dir, "../../batou.ts");

export interface Project {
  dir: string;
  /** `work/<component>` of the project. */
  work: (component: string) => string;
  /** Writes (or rewrites) a file of the project; the next deploy sees it. */
  write: (path: string, content: string) => void;
}

/**
 * A project with `files` (paths relative to the project root) and an
 * environment `local` deploying `components` to localhost.
 */
export function makeProject(files: Record<string, string>, components: string[], extraEnv = ""): Project {
  const dir = scratchDir();
  const write = (path: string, content: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  };
  write("environments/local.toml", `[environment]\nconnect_method = "local"\n${extraEnv}\n[hosts.localhost]\ncomponents = ${JSON.stringify(components)}\n`);
  for (const [path, content] of Object.entries(files)) write(path, content);
  return { dir, work: (component) => join(dir, "work", component), write };
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

export interface DeployOptions {
  predict?: boolean;
}

/**
 * Deploys environment `local` of `project` in this process, as `batou deploy
 * local --json [-P]` does, and returns what it reported.
 */
export async function deploy(project: Project, options: DeployOptions = {}): Promise<Deployed> {
  // Component files may have been rewritten since the last deploy: load them afresh.
  for (const file of componentFiles(project.dir)) delete require.cache[file];
  const out: string[] = [];
  const err: string[] = [];
  const code = await runDeployment({
    projectRoot: project.dir,
    environment: "local",
    predict: options.predict ?? false,
    consistencyOnly: false,
    local: false,
    dirty: false,
    reporter: new Reporter({ json: true, debug: false, color: false, out: (line) => out.push(line), err: (line) => err.push(line) }),
    ...deployExtensions,
  });
  return parse(out.join("\n"), err.join("\n"), code);
}

/** A component file importing `imports` from "batou". */
export function component(body: string, imports = "Component"): string {
  return `import { ${imports} } from "batou";\n${body}\n`;
}

/** A project with one component `App` whose configure() is `body` (imports from "batou" as needed). */
export function appProject(body: string, imports: string, files: Record<string, string> = {}, extraEnv = ""): Project {
  return makeProject(
    { "components/app/component.ts": component(`export class App extends Component {\n  configure() {\n    ${body}\n  }\n}`, `Component, ${imports}`), ...files },
    ["app"],
    extraEnv,
  );
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
