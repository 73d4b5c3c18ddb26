/**
 * Temporary batou projects for end-to-end tests, and a runner for the CLI in
 * both of its forms: `bun batou.ts …` (from source) and `dist/batou …` (the
 * compiled executable). Every run is a real subprocess with its cwd inside the
 * project and `NO_COLOR=1`.
 *
 * ```ts
 * using project = tempProject({ "environments/dev.toml": "…", "components/app/component.ts": "…" });
 * const result = runBatou(RUNNERS[0], ["deploy", "dev", "--json"], project.dir);
 * expect(result.summary?.ok).toBe(true);
 * ```
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** The repository this test suite belongs to. */
export const REPO = join(import.meta.dir, "..", "..");
/** The compiled executable `bun run build` writes. */
export const COMPILED = join(REPO, "dist", "batou");

export interface Runner {
  name: "source" | "compiled";
  argv: string[];
}

/** The two ways to run batou; e2e suites run every case with each. */
export const RUNNERS: Runner[] = [
  { name: "source", argv: [process.execPath, join(REPO, "batou.ts")] },
  { name: "compiled", argv: [COMPILED] },
];

/** Newest modification time of batou's own sources (what the executable is built from). */
function newestSource(): number {
  let newest = statSync(join(REPO, "batou.ts")).mtimeMs;
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  visit(join(REPO, "lib"));
  return newest;
}

let built: Promise<void> | undefined;

/**
 * Builds `dist/batou` once per test process when it is missing or older than
 * the sources, so the compiled runner never tests stale code.
 */
export function ensureCompiled(): Promise<void> {
  built ??= (async () => {
    if (existsSync(COMPILED) && statSync(COMPILED).mtimeMs >= newestSource()) return;
    // Built beside the target and renamed over it: a test run elsewhere never executes a half-written file.
    const temp = `${COMPILED}.build-${process.pid}`;
    const proc = Bun.spawn([process.execPath, "run", "build", "--outfile", temp], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    if (code !== 0) {
      rmSync(temp, { force: true });
      throw new Error(`bun run build failed (${code}):\n${out}\n${err}`);
    }
    renameSync(temp, COMPILED);
  })();
  return built;
}

/** A temp project; `using project = tempProject(…)` removes it when the test's scope ends, also on failure. */
export interface TempProject extends Disposable {
  dir: string;
  /** Writes `content` to `path` (relative to the project), creating folders. */
  write(path: string, content: string): void;
  read(path: string): string;
  exists(path: string): boolean;
  /** True when no deployment left anything in work/ (a deploy lock file may come and go there). */
  deployedNothing(): boolean;
  remove(path: string): void;
  cleanup(): void;
}

/** A fresh project in a temp folder with the given files (relative path → content). */
export function tempProject(files: Record<string, string> = {}): TempProject {
  const dir = mkdtempSync(join(tmpdir(), "batou-e2e-"));
  mkdirSync(join(dir, "environments"), { recursive: true });
  const project: TempProject = {
    dir,
    write(path, content) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    },
    read: (path) => readFileSync(join(dir, path), "utf8"),
    exists: (path) => existsSync(join(dir, path)),
    deployedNothing: () => !existsSync(join(dir, "work")) || readdirSync(join(dir, "work")).every((name) => name.startsWith(".batou-lock")),
    remove: (path) => rmSync(join(dir, path), { recursive: true, force: true }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
    [Symbol.dispose]: () => project.cleanup(),
  };
  for (const [path, content] of Object.entries(files)) project.write(path, content);
  return project;
}

/** A local environment with one host `localhost` running `components`, plus extra TOML. */
export function localEnvironment(components: string[], extra = ""): string {
  return `[environment]\nconnect_method = "local"\n\n[hosts.localhost]\ncomponents = ${JSON.stringify(components)}\n${extra}`;
}

export type JsonEvent = Record<string, unknown> & { event: string };

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Both streams, for asserting on messages wherever they were printed. */
  output: string;
  /** The `--json` lines of stdout (other lines ignored). */
  events: JsonEvent[];
  /** The last `summary` event, if any. */
  summary?: JsonEvent;
}

/** Runs `batou ARGS` with `runner` in `cwd`; never throws for a non-zero exit. */
export function runBatou(runner: Runner, args: string[], cwd: string, env: Record<string, string> = {}): RunResult {
  const childEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && key !== "FORCE_COLOR") childEnv[key] = value;
  }
  Object.assign(childEnv, { NO_COLOR: "1" }, env);
  const proc = Bun.spawnSync([...runner.argv, ...args], { cwd, env: childEnv, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const stdout = proc.stdout.toString();
  const stderr = proc.stderr.toString();
  const events: JsonEvent[] = [];
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      events.push(JSON.parse(line) as JsonEvent);
    } catch {
      // not a JSON line
    }
  }
  const summaries = events.filter((event) => event.event === "summary");
  return { code: proc.exitCode ?? -1, stdout, stderr, output: stdout + stderr, events, summary: summaries.at(-1) };
}

/** True when the output shows a stack trace (`    at …` frames). */
export function hasStackTrace(text: string): boolean {
  return /^\s+at\s/m.test(text);
}
