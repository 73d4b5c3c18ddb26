/** Test helpers for the secrets engine: temp projects, real ssh-keygen keys, a CLI runner. */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir as sharedTempDir } from "../helpers/temp.ts";

/** A fresh temp directory, removed by `cleanup()`. */
export const tempDir = (prefix = "batou-secrets-test-") => sharedTempDir(prefix);

/** Generates an ed25519 key with ssh-keygen; returns the private path and the .pub line. */
export function sshKey(dir: string, name: string, passphrase = ""): { path: string; pub: string } {
  const path = join(dir, name);
  const r = Bun.spawnSync(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", `${name}@test`, "-f", path]);
  if (r.exitCode !== 0) throw new Error(`ssh-keygen failed: ${r.stderr.toString()}`);
  return { path, pub: readFileSync(`${path}.pub`, "utf8").trim() };
}

/**
 * A project at `root` with environments: `prod` and `staging` (folders) and `dev`
 * (a single file). `recipients` go to every folder environment.
 */
export function makeProject(root: string, recipients: string[] = []): void {
  for (const env of ["prod", "staging"]) {
    mkdirSync(join(root, "environments", env), { recursive: true });
    writeFileSync(join(root, "environments", env, "environment.toml"), "[environment]\n");
    if (recipients.length) writeFileSync(join(root, "environments", env, "recipients"), `# team\n${recipients.join("\n")}\n`);
  }
  writeFileSync(join(root, "environments", "dev.toml"), "[environment]\nconnect_method = \"local\"\n");
}

const RUNNER = join(import.meta.dir, "run-secrets.ts");

/** Runs `batou secrets ARGS` in a child process (cwd, env and stdin not a terminal). */
export function cli(
  args: string[],
  opts: { cwd: string; env?: Record<string, string | undefined> },
): { code: number; stdout: string; stderr: string; bytes: Uint8Array } {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, NO_COLOR: "1", ...opts.env })) if (v !== undefined) env[k] = v;
  const r = Bun.spawnSync(["bun", RUNNER, ...args], { cwd: opts.cwd, env, stdin: "ignore" });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString(), bytes: new Uint8Array(r.stdout) };
}

/** Writes an executable editor script that runs `body` (sh) with the file as $1. */
export function editorScript(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\nset -e\n${body}\n`, { mode: 0o755 });
  return path;
}
