/**
 * End-to-end helpers for secrets in deployments: a private sandbox (HOME,
 * TMPDIR, keys) per suite, projects with a local environment, `batou` runs
 * through the CLI (`bun batou.ts …`), sealing through `batou secrets edit`,
 * and a scanner that finds a sentinel string in output and on disk.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { RUNNERS, runBatou, type RunResult } from "../helpers/project.ts";
import { editorScript, sshKey } from "./helpers.ts";

export interface Sandbox {
  root: string;
  /** `HOME` of every batou run (holds no key: identities come from BATOU_IDENTITY). */
  home: string;
  /** `TMPDIR` of every batou run: whatever temp files batou makes land here. */
  tmp: string;
  alice: { path: string; pub: string };
  bob: { path: string; pub: string };
  cleanup(): void;
}

export function sandbox(prefix = "batou-secrets-e2e-"): Sandbox {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const home = join(root, "home");
  const tmp = join(root, "tmp");
  const keys = join(root, "keys");
  for (const dir of [home, tmp, keys]) mkdirSync(dir);
  return {
    root,
    home,
    tmp,
    alice: sshKey(keys, "alice"),
    bob: sshKey(keys, "bob"),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

export interface SecretsProject {
  dir: string;
  write(path: string, content: string): void;
  read(path: string): string;
  /** `batou ARGS` in the project as `identity` (default alice). */
  batou(args: string[], options?: { identity?: string; env?: Record<string, string> }): RunResult;
  /** Seals `content` as `secrets.toml.nacl` (name null) or `secret-NAME.nacl` through `batou secrets edit`. */
  seal(name: string | null, content: string, env?: string): void;
}

/**
 * A project in the sandbox with `environments/<env>/environment.toml` and a
 * recipients file (alice), and the given extra files.
 */
export function secretsProject(box: Sandbox, files: Record<string, string>, env = "dev"): SecretsProject {
  const dir = mkdtempSync(join(box.root, "project-"));
  const write = (path: string, content: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  };
  write(`environments/${env}/recipients`, `# alice\n${box.alice.pub}\n`);
  for (const [path, content] of Object.entries(files)) write(path, content);
  const editor = editorScript(box.root, "write-secret.sh", 'printf "%s" "$BATOU_TEST_CONTENT" > "$1"');
  const project: SecretsProject = {
    dir,
    write,
    read: (path) => readFileSync(join(dir, path), "utf8"),
    batou(args, options = {}) {
      return runBatou(RUNNERS[0]!, args, dir, {
        HOME: box.home,
        TMPDIR: box.tmp,
        XDG_CONFIG_HOME: join(box.home, ".config"),
        BATOU_IDENTITY: options.identity ?? box.alice.path,
        ...options.env,
      });
    },
    seal(name, content, sealEnv = env) {
      const args = ["secrets", "edit", sealEnv, ...(name === null ? [] : [name])];
      const result = project.batou(args, { env: { EDITOR: editor, BATOU_TEST_CONTENT: content } });
      if (result.code !== 0) throw new Error(`batou ${args.join(" ")} failed (${result.code}):\n${result.output}`);
    },
  };
  return project;
}

/** A local environment with host `localhost` (plus `extra` TOML). */
export function localEnv(components: string[], extra = ""): string {
  return `[environment]\nconnect_method = "local"\n\n[hosts.localhost]\ncomponents = ${JSON.stringify(components)}\n${extra}`;
}

/**
 * Every file below `root` (symlinks not followed) whose bytes contain
 * `needle`, as paths relative to `root`; `skip(relativePath)` prunes. Files that
 * vanish or cannot be read while scanning are passed over.
 */
export function filesContaining(root: string, needle: string, skip: (path: string) => boolean = () => false): string[] {
  const hits: string[] = [];
  const bytes = Buffer.from(needle);
  const visit = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      const rel = relative(root, path);
      if (skip(rel)) continue;
      try {
        if (entry.isDirectory()) visit(path);
        else if (entry.isFile() && readFileSync(path).includes(bytes)) hits.push(rel);
        else if (entry.isSymbolicLink() && readlinkSync(path).includes(needle)) hits.push(rel);
      } catch {
        // gone or unreadable meanwhile (other processes share the temp dir)
      }
    }
  };
  visit(root);
  return hits.sort();
}

/** Labels of the runs whose stdout or stderr contains `needle`. */
export function outputsContaining(runs: Record<string, RunResult>, needle: string): string[] {
  const hits: string[] = [];
  for (const [label, run] of Object.entries(runs)) {
    if (run.stdout.includes(needle)) hits.push(`${label}: stdout`);
    if (run.stderr.includes(needle)) hits.push(`${label}: stderr`);
  }
  return hits;
}
