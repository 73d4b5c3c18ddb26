/**
 * The new-project template: what the bootstrap and `batou init` create.
 * Everything comes from batou itself (no network): the launcher template and
 * the editor types are baked into released bundles (see release-info.ts).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { canGenerateTypes, generateTypes } from "./dts.ts";
import { writePin } from "./pin.ts";
import { RELEASE } from "./release-info.ts";

export const TYPES_PATH = ".batou/types/batou.d.ts";

/** Defined by `bun build --compile` from source (sourceCompileFlags in lib/compile-flags.ts); absent when running from source. */
declare const BATOU_LAUNCHER_TEMPLATE: string | undefined;

/** The launcher template (lib/bootstrap/launcher.ts, pin empty): a release's, the one compiled in, else the file. */
export function launcherTemplate(): string {
  if (RELEASE.launcher) return RELEASE.launcher;
  if (typeof BATOU_LAUNCHER_TEMPLATE === "string") return BATOU_LAUNCHER_TEMPLATE;
  return readFileSync(join(import.meta.dir, "launcher.ts"), "utf8");
}

/** A launcher pinned to `version` at `url`, trusting `keys`. */
export function renderLauncher(pin: { version: string; url: string; keys: string[] }, template = launcherTemplate()): string {
  return writePin(template, pin);
}

/** The editor types of this batou: baked into a release; generated in a source checkout. */
export function ownTypes(): string | undefined {
  if (RELEASE.types) return RELEASE.types;
  const repo = resolve(import.meta.dir, "..", "..");
  return canGenerateTypes(repo) ? generateTypes(repo, RELEASE.version) : undefined;
}

const COMPONENT = `import { Component, File } from "batou";

/**
 * An example component: writes work/hello/hello.txt (connect_method "local"
 * deploys into work/<component>/). Run \`bun batou.ts deploy dev\`; a second run
 * changes nothing. \`greeting\` can be set per environment:
 * [components.hello] greeting = "Hi" in environments/dev.toml.
 */
export class Hello extends Component {
  greeting = "Hello, world";

  configure() {
    this.add(new File("hello.txt", { content: \`\${this.greeting} from \${this.host.name}\\n\` }));
  }
}
`;

const DEV_ENVIRONMENT = `# The dev environment: deploys to this machine, into work/.
[environment]
connect_method = "local"

[hosts.localhost]
components = ["hello"]
`;

export const GITIGNORE_LINES = ["work/", ".batou/", ".batou-lock", ".secrets.lock", "node_modules/", "*.log"];

const TSCONFIG = `{
  "compilerOptions": {
    "target": "ESNext",
    "module": "Preserve",
    "moduleResolution": "bundler",
    "lib": ["ESNext"],
    "types": [],
    "strict": true,
    "noEmit": true,
    "skipLibCheck": true,
    "allowImportingTsExtensions": true,
    "paths": { "batou": ["./${TYPES_PATH}"] }
  },
  "include": ["components"]
}
`;

/** The files of a new project (path → content; the launcher is executable). */
export function projectFiles(launcher: string, types: string | undefined): Record<string, string> {
  const files: Record<string, string> = {
    "batou.ts": launcher,
    "components/hello/component.ts": COMPONENT,
    "environments/dev.toml": DEV_ENVIRONMENT,
    ".gitignore": GITIGNORE_LINES.join("\n") + "\n",
    "tsconfig.json": TSCONFIG,
  };
  if (types) files[TYPES_PATH] = types;
  return files;
}

/**
 * Writes `files` into `dir`. Existing files are kept (and reported), except
 * that a .gitignore gets the missing lines appended.
 */
export function writeProject(dir: string, files: Record<string, string>): { written: string[]; kept: string[] } {
  const written: string[] = [];
  const kept: string[] = [];
  for (const [path, content] of Object.entries(files)) {
    const target = join(dir, path);
    if (path === TYPES_PATH && existsSync(target)) {
      // generated, git-ignored: kept equal to this batou's (the launcher does the same)
      if (readFileSync(target, "utf8") !== content) {
        writeFileSync(target, content);
        written.push(path);
      }
      continue;
    }
    if (existsSync(target)) {
      if (path === ".gitignore") {
        const have = readFileSync(target, "utf8");
        const lines = new Set(have.split("\n").map((l) => l.trim()));
        const missing = GITIGNORE_LINES.filter((l) => !lines.has(l));
        if (missing.length) {
          writeFileSync(target, `${have}${have.endsWith("\n") || !have ? "" : "\n"}${missing.join("\n")}\n`);
          written.push(path);
          continue;
        }
      }
      kept.push(path);
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content, { mode: path === "batou.ts" ? 0o755 : 0o644 });
    written.push(path);
  }
  return { written, kept };
}
