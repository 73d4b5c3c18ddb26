/**
 * The deployment history every host keeps: one JSON line per deployment
 * (not predictions or checks), appended to `.batou/history.jsonl` in the
 * host's target directory (locally, where `connect_method = "local"`
 * deploys: `work/.batou/history.jsonl`, since the project root is a git
 * working tree and work/ is ignored). The file is only ever appended to.
 * `batou history ENV [HOST]` reads it back.
 *
 * @module
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type Environment, loadEnvironment } from "./environment.ts";
import { ConfigurationError } from "./errors.ts";
import type { Host } from "./host.ts";

/** One deployment, as a host remembers it. */
export interface HistoryEntry {
  /** When the deployment started (ISO 8601). */
  time: string;
  /** `user@machine` that deployed. */
  deployer: string;
  /** The batou version that deployed. */
  batou: string;
  environment: string;
  host: string;
  /** The project's git commit, when it is a git repository. */
  commit?: string;
  /** The working tree had uncommitted changes (a `-D` deployment, or one without `clean = true`). */
  dirty?: boolean;
  /** Whether every root of this host was deployed (false when one failed, or the run stopped before). */
  ok: boolean;
  /** The components that changed on this host. */
  changed: string[];
}

/** The history file's name; it lives in `.batou/` beside the shipped executable. */
export const HISTORY_NAME = "history.jsonl";

/** The history file, relative to a host's target directory. */
export const HISTORY_FILE = `.batou/${HISTORY_NAME}`;

/** The history file of hosts deployed on this machine, relative to the project root. */
export const LOCAL_HISTORY_FILE = join("work", HISTORY_FILE);

/** Appends `entry` to the history file at `path` (one line, one append; folders created). */
export function appendHistory(path: string, entry: HistoryEntry): void {
  mkdirSync(dirname(path), { recursive: true });
  appendFileSync(path, `${JSON.stringify(entry)}\n`, { mode: 0o644 });
}

/** The entries of a history file's text; a line that is not an entry is an error naming `source` and the line. */
export function parseHistory(text: string, source: string): HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  text.split("\n").forEach((line, index) => {
    if (line.trim() === "") return;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      entry = undefined;
    }
    const e = entry as Partial<HistoryEntry> | undefined;
    if (!e || typeof e.time !== "string" || typeof e.ok !== "boolean" || !Array.isArray(e.changed)) {
      throw new ConfigurationError("the deployment history has a line that is not an entry", { file: `${source}:${index + 1}`, content: line.slice(0, 200) });
    }
    entries.push(e as HistoryEntry);
  });
  return entries;
}

/** The history of one host, newest last. */
export interface HostHistory {
  host: string;
  /** Where it was read (a path, or `host:path`). */
  source: string;
  entries: HistoryEntry[];
}

/** Reads the history file of a host that is not this machine (the remote module); undefined when there is none. */
export type RemoteHistoryReader = (host: Host, environment: Environment) => Promise<{ text?: string; source: string }>;

export interface HistoryOptions {
  projectRoot: string;
  environment: string;
  /** Only this host (by default every host that is not ignored). */
  host?: string;
  remote?: RemoteHistoryReader;
}

/** The histories of an environment's hosts (read in parallel). */
export async function readHistories(options: HistoryOptions): Promise<HostHistory[]> {
  const environment = await loadEnvironment({ projectRoot: options.projectRoot, name: options.environment });
  let hosts = [...environment.hosts.values()].filter((host) => !host.ignore);
  if (options.host !== undefined) {
    const host = environment.hosts.get(options.host);
    if (!host) {
      throw new ConfigurationError(`environment "${environment.name}" has no host "${options.host}"`, {
        file: environment.file,
        known: [...environment.hosts.keys()].sort().join(", "),
      });
    }
    hosts = [host];
  }
  const local = environment.settings.connectMethod === "local";
  if (!local && !options.remote) throw new ConfigurationError("this batou cannot connect over SSH", { hint: 'use connect_method = "local"' });
  return Promise.all(
    hosts.map(async (host) => {
      if (local) {
        const path = join(options.projectRoot, LOCAL_HISTORY_FILE);
        const text = existsSync(path) ? readFileSync(path, "utf8") : "";
        return { host: host.name, source: LOCAL_HISTORY_FILE, entries: parseHistory(text, LOCAL_HISTORY_FILE).filter((e) => e.host === host.name) };
      }
      const { text, source } = await options.remote!(host, environment);
      return { host: host.name, source, entries: parseHistory(text ?? "", source) };
    }),
  );
}

/** A history as text lines: one per deployment, newest last. */
export function formatHistory(history: HostHistory): string[] {
  const { entries } = history;
  const lines = [`${history.host}: ${entries.length ? `${entries.length} deployment(s)` : "no deployments recorded"} (${history.source})`];
  for (const e of entries) {
    const commit = e.commit ? `${e.commit.slice(0, 10)}${e.dirty ? "+dirty" : ""}` : "no git";
    const what = e.changed.length ? `${e.changed.length} changed: ${e.changed.join(", ")}` : "nothing changed";
    lines.push(`  ${e.time}  ${e.ok ? "ok    " : "FAILED"}  ${e.deployer}  batou ${e.batou}  ${commit}  ${e.environment}  ${what}`);
  }
  return lines;
}
