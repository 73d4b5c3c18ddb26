/**
 * The agent protocol: JSON lines on the agent's stdin/stdout (an SSH exec
 * channel, or plain pipes in tests). Documented in docs/remote.md.
 *
 * 1. Both sides send `hello` first: `{"type":"hello","protocol":1,"version":"0.1.0",...}`.
 *    A different `protocol` number is an error naming both versions and the host.
 * 2. The deploying side sends requests `{"type":"request","id":N,"method":M,"params":{...}}`.
 * 3. The agent answers each with zero or more `{"type":"event","id":N,"event":DeployEvent}`
 *    and then exactly one `{"type":"result","id":N,"result":...}` or
 *    `{"type":"error","id":N,"error":{"error":NAME,"message":...,"context":{...}}}`.
 *    Requests may overlap (several `deploy`s at once); ids keep the streams apart.
 * 4. Messages without a request (`id` 0): `log` lines (stray output of user code).
 * 5. The agent exits when its stdin closes.
 *
 * @module
 */
import type { SecretsData } from "../../engine/environment.ts";
import { BatouError, ConfigurationErrors, type ErrorContext } from "../../engine/errors.ts";
import type { DeployEvent } from "../../engine/events.ts";
import { PROTOCOL_VERSION, VERSION } from "../../version.ts";
import type { ProjectManifest } from "../ship/project-manifest.ts";

export interface Hello {
  type: "hello";
  protocol: number;
  version: string;
  /** Agent: its pid, user and host name (for locks and messages). */
  pid?: number;
  user?: string;
  hostname?: string;
  /** Agent: its working directory, the physical target directory. */
  cwd?: string;
}

/** Who deploys: written into lock files, shown to whoever is refused. */
export interface LockOwner {
  user: string;
  machine: string;
  pid: number;
  time: string;
  version: string;
  environment: string;
}

export interface SetupParams {
  environment: string;
  host: string;
  platform?: string;
  timeout?: number;
  /** Decrypted secrets: kept in the agent's memory only. */
  secrets?: SecretsData;
  debug?: boolean;
  /** Root ids (`host/name`) to configure: the host's own and their providers; all when absent. */
  scope?: string[];
}

export interface SetupResult {
  /** This host's roots. */
  roots: string[];
  /** How many roots were configured: these and the providers they read. */
  configured: number;
  rounds: number;
  seconds: number;
}

export interface DeployParams {
  root: string;
  predicting: boolean;
}

/** The project fingerprint of the agent's directory (project-manifest.ts), with the project rsync's excludes. */
export interface ManifestParams {
  excludes: string[];
}

export interface LockParams {
  owner: LockOwner;
}

export interface LockResult {
  path: string;
  /** Set when a stale lock was taken over. */
  tookOver?: LockOwner & { agentPid?: number; host?: string };
}

export type RequestMap = {
  lock: { params: LockParams; result: LockResult };
  setup: { params: SetupParams; result: SetupResult };
  deploy: { params: DeployParams; result: { changed: number } };
  ping: { params: Record<string, never>; result: { pid: number } };
  manifest: { params: ManifestParams; result: ProjectManifest };
};
export type Method = keyof RequestMap;

export interface Request<M extends Method = Method> {
  type: "request";
  id: number;
  method: M;
  params: RequestMap[M]["params"];
}

export interface SerializedError {
  error: string;
  message: string;
  context: ErrorContext;
  /** ConfigurationErrors: every error. */
  errors?: SerializedError[];
  stack?: string;
}

export type AgentMessage =
  | Hello
  | { type: "event"; id: number; event: DeployEvent }
  | { type: "result"; id: number; result: unknown }
  | { type: "error"; id: number; error: SerializedError }
  | { type: "log"; id: 0; line: string };

export type ClientMessage = Hello | Request;

export function hello(extra: Partial<Hello> = {}): Hello {
  return { type: "hello", protocol: PROTOCOL_VERSION, version: VERSION, ...extra };
}

/** An error that happened on a host, rebuilt from its JSON form. */
export class RemoteError extends BatouError {
  constructor(serialized: SerializedError, host?: string) {
    const context: ErrorContext = { ...serialized.context };
    if (host) context.host ??= host;
    super(serialized.message, context);
    this.name = serialized.error || "RemoteError";
    if (serialized.stack) this.stack = serialized.stack;
  }
}

export function serializeError(error: unknown, withStack = false): SerializedError {
  if (error instanceof ConfigurationErrors) {
    const errors = error.errors.map((e) => serializeError(e, withStack));
    return { error: "ConfigurationErrors", message: error.message, context: {}, errors };
  }
  if (error instanceof BatouError) {
    const json = error.toJSON();
    const context: ErrorContext = {};
    for (const [k, v] of Object.entries(json.context)) if (v !== undefined) context[k] = typeof v === "number" ? v : String(v);
    return { ...json, context, stack: withStack ? error.stack : undefined };
  }
  const e = error as Error;
  return { error: e?.name ?? "Error", message: `unexpected error: ${e?.message ?? String(error)}`, context: {}, stack: withStack ? e?.stack : undefined };
}

export function deserializeError(serialized: SerializedError, host?: string): Error {
  if (serialized.errors) return new ConfigurationErrors(serialized.errors.map((e) => new RemoteError(e, host)));
  return new RemoteError(serialized, host);
}

/** Checks the other side's hello; throws an error naming both versions and the host. */
export function checkHello(message: unknown, host: string, side: "agent" | "deploying machine"): Hello {
  const m = message as Partial<Hello> | undefined;
  if (!m || m.type !== "hello" || typeof m.protocol !== "number") {
    throw new BatouError(`the batou ${side} on ${host} did not greet with a protocol hello`, {
      host,
      received: JSON.stringify(message)?.slice(0, 200) ?? "nothing",
    });
  }
  if (m.protocol !== PROTOCOL_VERSION) {
    throw new BatouError(`batou protocol version mismatch with the ${side} on ${host}`, {
      host,
      "local batou": `${VERSION} (protocol ${PROTOCOL_VERSION})`,
      [`${side === "agent" ? "remote" : "deploying"} batou`]: `${m.version ?? "?"} (protocol ${m.protocol})`,
    });
  }
  return m as Hello;
}

/**
 * Splits a byte stream into JSON messages, one per line. A line that is not
 * JSON goes to `onGarbage` (it is never silently dropped).
 */
export class LineDecoder {
  private buffer = "";
  private readonly decoder = new TextDecoder();
  constructor(
    private readonly onMessage: (message: unknown) => void,
    private readonly onGarbage: (line: string) => void = () => {},
  ) {}

  push(chunk: Uint8Array | string): void {
    this.buffer += typeof chunk === "string" ? chunk : this.decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + 1);
      if (line.trim() === "") continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        this.onGarbage(line);
        continue;
      }
      this.onMessage(parsed);
    }
  }
}

export function encode(message: AgentMessage | ClientMessage): string {
  return JSON.stringify(message) + "\n";
}
