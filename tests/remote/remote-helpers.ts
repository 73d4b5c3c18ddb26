/** Helpers for end-to-end deploys over SSH to the test bed: temp projects and a CLI runner. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { SshClient } from "../../lib/engine/environment-schema.ts";
import type { ExitStatus, Transport } from "../../lib/remote/transport.ts";
import { tempProject } from "../helpers/project.ts";
import type { Testbed } from "../testbed/testbed.ts";

export { waitFor } from "../helpers/wait.ts";

export const BATOU = join(import.meta.dir, "../../batou.ts");

/** The SSH clients the remote end-to-end tests run on: each such suite runs once per client. */
export const SSH_CLIENTS: readonly SshClient[] = ["ssh2", "openssh"];

/** The `[environment]` line that chooses `client`. */
export const sshClientSetting = (client: SshClient) => `ssh_client = "${client}"`;

/** The --debug line each client writes once per handshake (to count connections). */
export const HANDSHAKE_LINE: Record<SshClient, string> = { ssh2: "ssh: authenticated as", openssh: "ssh: OpenSSH master for" };

export interface Project {
  dir: string;
  write(path: string, text: string): void;
  remove(): void;
}

/** A temp project whose `ssh_config` is the test bed's, with `prefix` (extra Host blocks) first. */
export function makeProject(tb: Testbed, files: Record<string, string>, sshPrefix = ""): Project {
  const project = tempProject({ ssh_config: `${sshPrefix}\n${readFileSync(tb.sshConfig, "utf8")}`, ...files });
  return { dir: project.dir, write: project.write, remove: project.cleanup };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  events: Record<string, any>[];
  summary?: Record<string, any>;
  errors: Record<string, any>[];
}

function parse(code: number, stdout: string, stderr: string): RunResult {
  const events = stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  return { code, stdout, stderr, events, summary: events.findLast((e) => e.event === "summary"), errors: events.filter((e) => e.event === "error") };
}

export function deployEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, NO_COLOR: "1", BATOU_CONNECT_BACKOFF: "0.2", ...extra })) if (v !== undefined) env[k] = v;
  return env;
}

/** `batou deploy ENV --json ARGS` in the project; resolves when it exits. */
export async function deploy(project: Project, env: string, args: string[] = [], extraEnv: Record<string, string> = {}): Promise<RunResult> {
  const proc = startDeploy(project, env, args, extraEnv);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return parse(code, stdout, stderr);
}

export function startDeploy(project: Project, env: string, args: string[] = [], extraEnv: Record<string, string> = {}) {
  return Bun.spawn([process.execPath, BATOU, "deploy", env, "--json", ...args], {
    cwd: project.dir,
    env: deployEnv(extraEnv),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
}

export async function finish(proc: ReturnType<typeof startDeploy>): Promise<RunResult> {
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return parse(code, stdout, stderr);
}

/** Pids whose command line matches `pattern` (pgrep -f), optionally only those working in `cwd`. */
export function pgrep(pattern: string, cwd?: string): number[] {
  const r = Bun.spawnSync(["pgrep", "-f", pattern]);
  const pids = r.stdout.toString().split(/\s+/).filter(Boolean).map(Number).filter((p) => p !== process.pid);
  if (!cwd) return pids;
  return pids.filter((pid) => {
    try {
      return require("node:fs").readlinkSync(`/proc/${pid}/cwd`) === cwd;
    } catch {
      return false;
    }
  });
}

/** Runs `command` over a transport to its end, feeding `stdin` (then EOF), and collects its output. */
export async function runCommand(transport: Transport, command: string, stdin?: string | Uint8Array): Promise<ExitStatus & { stdout: string; stderr: string }> {
  const remote = await transport.spawn(command);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  remote.stdio.on("data", (d: Buffer) => out.push(d));
  remote.stderr.on("data", (d: Buffer) => err.push(d));
  remote.stdio.end(stdin === undefined ? undefined : Buffer.from(stdin));
  const status = await remote.exit;
  return { ...status, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
}
