/**
 * The agent protocol: JSON lines on the agent's stdin/stdout (an SSH exec
 * channel, or plain pipes in tests). Documented in docs/remote.md.
 *
 * 1. Both sides send `hello` first: `{"type":"hello","protocol":4,"version":"0.1.0",...}`;
 *    the deploying side's, with its lock and manifest requests, usually in the agent's
 *    command line (`--opening`, commands.ts agentOpening), read before stdin.
 *    A different `protocol` number is an error naming both versions and the host.
 * 2. The deploying side sends requests `{"type":"request","id":N,"method":M,"params":{...}}`,
 *    without waiting for the agent's hello or earlier answers (pipelined: one round trip
 *    for hello, lock, manifest and setup). The session requests (lock, manifest, sync,
 *    setup) are done in the order they were sent; once one failed, the later ones are
 *    refused (`not done: ... failed`), so a held lock stops the rest.
 * 3. The agent answers each with zero or more `{"type":"event","id":N,"event":DeployEvent}`
 *    and then exactly one `{"type":"result","id":N,"result":...}` or
 *    `{"type":"error","id":N,"error":{"error":NAME,"message":...,"context":{...}}}`.
 *    Requests may overlap (several `deploy`s at once); ids keep the streams apart.
 * 4. Messages without a request (`id` 0): `log` lines (stray output of user code).
 *    A `setup` may ask to `speculate`: the agent then verifies its roots (read-only) and
 *    sends their events tagged with `root`; its answer names the roots that need nothing,
 *    which the deploying side replays instead of deploying.
 * 5. The agent exits when its stdin closes (after stopping between two components), or
 *    after answering the `deploy` marked `last`, a `finish`, or a `setup` whose speculation
 *    ended the host's run (its lock released before that answer).
 *
 * Each side checks what it receives at the boundary ({@link parseRequest},
 * {@link parseAgentMessage}, {@link parseResult}): a message of the wrong shape is an error that
 * quotes it, never a half-typed value deeper in.
 *
 * @module
 */
import type { Deployer } from "../../engine/connection.ts";
import type { SecretsData } from "../../engine/environment.ts";
import { BatouError, ConfigurationErrors, type ErrorContext } from "../../engine/errors.ts";
import type { DeployEvent } from "../../engine/events.ts";
import type { HistoryEntry } from "../../engine/history.ts";
import { PROTOCOL_VERSION, VERSION } from "../../version.ts";
import type { ManifestEntry, ProjectManifest } from "../ship/project-manifest.ts";
import type { SyncParams } from "../ship/project-sync.ts";

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

/** Who deploys (the run's owner): written into lock files, shown to whoever is refused. */
export type LockOwner = Deployer;

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
  /** Configure only when the shipped project has this fingerprint; otherwise answer `{ stale: true }`. */
  project?: string;
  /** What this run's history entry says besides the host's outcome: the agent appends it after the `last` deploy. */
  history?: HistoryBase;
  /** Verify this host's roots right after configuring (read-only), see {@link Speculation}. */
  speculate?: SpeculateParams;
}

/** How the agent verifies its roots ahead of their deploys (setup's `speculate`). */
export interface SpeculateParams {
  /** The run is `-P`: verify as predict does. */
  predicting: boolean;
  /**
   * Nothing this host's roots depend on is deployed elsewhere in this run: when
   * every root needs nothing, the agent ends the host's run itself (history
   * appended unless predicting, lock released) and exits after answering.
   */
  finish: boolean;
}

/**
 * The speculative verify's outcome (setup's answer): the roots whose verify
 * found nothing to do (their events came as `event` messages of the setup,
 * tagged with the root), and, when the agent ended the host's run itself,
 * what the last deploy would answer.
 */
export interface Speculation extends AgentUsage {
  nothing: string[];
  /** The agent ended the host's run (lock released; it exits after this answer). */
  finished?: boolean;
  /** It appended the history entry. */
  recorded?: boolean;
}

/**
 * `peakRss`: the agent's peak resident memory so far (VmHWM, bytes), where the system says;
 * `cpuSeconds`: the CPU time (user + system) the agent used so far.
 */
export interface AgentUsage {
  peakRss?: number;
  cpuSeconds?: number;
}

/** A history entry without what only the host's deploys tell. */
export type HistoryBase = Omit<HistoryEntry, "host" | "ok" | "changed">;

export interface SetupResult {
  /** This host's roots. */
  roots: string[];
  /** How many roots were configured: these and the providers they read. */
  configured: number;
  rounds: number;
  seconds: number;
  /** Present when the setup asked to `speculate`. */
  speculation?: Speculation;
}

/** The answer to a `setup` whose `project` is not the one shipped (nothing configured). */
export interface StaleProject {
  stale: true;
}

export interface DeployParams {
  root: string;
  predicting: boolean;
  /** The host's last deploy of this run: release the lock, answer, exit. */
  last?: boolean;
}

/** The project fingerprint of the agent's directory (project-manifest.ts), with the project rsync's excludes. */
export interface ManifestParams {
  excludes: string[];
  /** The deploying machine's fingerprint: when it differs, the answer lists the entries. */
  expect?: string;
}

export interface ManifestResult extends ProjectManifest {
  /** The entries, when `expect` was given and differs. */
  list?: ManifestEntry[];
}

export interface LockParams {
  owner: LockOwner;
}

export interface LockResult {
  path: string;
  /** Set when a stale lock was taken over. */
  tookOver?: LockOwner & { agentPid?: number; host?: string };
}

/** One line for the target directory's deployment history. */
export interface HistoryParams {
  entry: HistoryEntry;
}

export type RequestMap = {
  lock: { params: LockParams; result: LockResult };
  manifest: { params: ManifestParams; result: ManifestResult };
  sync: { params: SyncParams; result: { written: number; removed: number } };
  setup: { params: SetupParams; result: SetupResult | StaleProject };
  /** `recorded`: after the `last` deploy, the history entry was appended (no `history` request needed). */
  deploy: { params: DeployParams; result: { changed: number; recorded?: boolean } & AgentUsage };
  history: { params: HistoryParams; result: Record<string, never> };
  /** The host's run is over without a `last` deploy (its last roots were skipped): as after one. */
  finish: { params: { predicting: boolean }; result: { recorded: boolean } & AgentUsage };
};
export type Method = keyof RequestMap;

export interface Request<M extends Method = Method> {
  type: "request";
  id: number;
  method: M;
  params: RequestMap[M]["params"];
}

/** A request of any method, with the method and its params kept together. */
export type AnyRequest = { [M in Method]: Request<M> }[Method];

/** What a handler gets besides its params. */
export interface HandlerContext {
  /** The request id (events of this request carry it). */
  id: number;
}

/** The agent's implementation of one method. */
export type Handler<M extends Method> = (params: RequestMap[M]["params"], context: HandlerContext) => Promise<RequestMap[M]["result"]>;

/** One handler per method: the agent's handlers are checked against this with `satisfies`. */
export type Handlers = { [M in Method]: Handler<M> };

/** Calls the handler of `request.method` with its params (the pairing is kept by the types, no cast). */
export function callHandler<M extends Method>(handlers: Handlers, request: Request<M>, context: HandlerContext): Promise<RequestMap[M]["result"]> {
  const handler: Handler<M> = handlers[request.method];
  return handler(request.params, context);
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
  | { type: "event"; id: number; event: DeployEvent; root?: string }
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

/** A check of one value: the problem (naming where it is), or undefined when it fits. */
type Check = (value: unknown, where: string) => string | undefined;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const primitive = (type: "string" | "number" | "boolean"): Check => (value, where) => (typeof value === type ? undefined : `${where} must be a ${type}`);
const str = primitive("string");
const num = primitive("number");
const bool = primitive("boolean");
const optional = (check: Check): Check => (value, where) => (value === undefined ? undefined : check(value, where));
const listOf = (check: Check): Check => (value, where) =>
  Array.isArray(value) ? value.map((item, i) => check(item, `${where}[${i}]`)).find(Boolean) : `${where} must be a list`;
const record: Check = (value, where) => (isRecord(value) ? undefined : `${where} must be a table`);
const shape = (fields: Record<string, Check>): Check => (value, where) =>
  isRecord(value) ? Object.entries(fields).map(([key, check]) => check(value[key], `${where}.${key}`)).find(Boolean) : `${where} must be a table`;

const owner = shape({ user: str, machine: str, pid: num, time: str, version: str, environment: str });

/** The params each method takes. */
const PARAMS: { [M in Method]: Check } = {
  lock: shape({ owner }),
  setup: shape({
    environment: str,
    host: str,
    platform: optional(str),
    timeout: optional(num),
    secrets: optional(shape({ file: str, components: record, hosts: record, files: record, values: listOf(str), warnings: optional(listOf(str)) })),
    debug: optional(bool),
    scope: optional(listOf(str)),
    project: optional(str),
    history: optional(shape({ time: str, deployer: str, batou: str, environment: str, commit: optional(str), dirty: optional(bool) })),
    speculate: optional(shape({ predicting: bool, finish: bool })),
  }),
  deploy: shape({ root: str, predicting: bool, last: optional(bool) }),
  finish: shape({ predicting: bool }),
  manifest: shape({ excludes: listOf(str), expect: optional(str) }),
  sync: shape({
    remove: listOf(str),
    dirs: listOf(shape({ path: str, mode: num })),
    files: listOf(shape({ path: str, mode: num, mtimeMs: num, content: str })),
    links: listOf(shape({ path: str, target: str })),
  }),
  history: shape({
    entry: shape({
      time: str,
      deployer: str,
      batou: str,
      environment: str,
      host: str,
      commit: optional(str),
      dirty: optional(bool),
      ok: bool,
      changed: listOf(str),
    }),
  }),
};

/** The result each method returns. */
const usage = { peakRss: optional(num), cpuSeconds: optional(num) };
const speculation = shape({ nothing: listOf(str), finished: optional(bool), recorded: optional(bool), ...usage });
const setupResult = shape({ roots: listOf(str), configured: num, rounds: num, seconds: num, speculation: optional(speculation) });
const RESULTS: { [M in Method]: Check } = {
  lock: shape({ path: str, tookOver: optional(record) }),
  setup: (value, where) => (isRecord(value) && value.stale === true ? undefined : setupResult(value, where)),
  deploy: shape({ changed: num, recorded: optional(bool), ...usage }),
  finish: shape({ recorded: bool, ...usage }),
  manifest: shape({ hash: str, entries: num, list: optional(listOf(shape({ kind: str, path: str }))) }),
  sync: shape({ written: num, removed: num }),
  history: record,
};

const isMethod = (method: unknown): method is Method => typeof method === "string" && Object.hasOwn(PARAMS, method);

function malformed(what: string, problem: string, message: unknown): BatouError {
  return new BatouError(`malformed ${what}: ${problem}`, { received: JSON.stringify(message)?.slice(0, 200) ?? "nothing" });
}

/** Checks a message from the deploying machine; throws a BatouError quoting it when it is not a request batou knows. */
export function parseRequest(message: unknown): AnyRequest {
  if (!isRecord(message) || message.type !== "request") throw malformed("request", "not a request", message);
  if (typeof message.id !== "number" || !Number.isInteger(message.id) || message.id <= 0) throw malformed("request", "id must be a positive integer", message);
  if (!isMethod(message.method)) throw malformed("request", `unknown method ${JSON.stringify(message.method)}`, message);
  const problem = PARAMS[message.method](message.params, "params");
  if (problem) throw malformed(`${message.method} request`, problem, message);
  return message as unknown as AnyRequest;
}

/** Checks an agent's result for a `method` request; throws a BatouError quoting it when it has another shape. */
export function parseResult<M extends Method>(method: M, result: unknown): RequestMap[M]["result"] {
  const problem = RESULTS[method](result, "result");
  if (problem) throw malformed(`${method} result`, problem, result);
  return result as RequestMap[M]["result"];
}

const SERIALIZED_ERROR: Check = shape({ error: str, message: str, context: record });

/** The shape of each message type an agent sends (a result's own shape: {@link parseResult}). */
const AGENT_MESSAGES: Record<AgentMessage["type"], Check> = {
  hello: shape({ protocol: num, version: str }),
  event: shape({ id: num, event: shape({ event: str }), root: optional(str) }),
  result: shape({ id: num }),
  error: shape({ id: num, error: SERIALIZED_ERROR }),
  log: shape({ line: str }),
};

/** Checks a message from an agent; throws a BatouError quoting it when it is not one batou knows. */
export function parseAgentMessage(message: unknown): AgentMessage {
  if (!isRecord(message) || typeof message.type !== "string" || !Object.hasOwn(AGENT_MESSAGES, message.type)) {
    throw malformed("agent message", "unknown type", message);
  }
  const problem = AGENT_MESSAGES[message.type as AgentMessage["type"]](message, "message");
  if (problem) throw malformed(`agent ${message.type}`, problem, message);
  return message as unknown as AgentMessage;
}

export function encode(message: AgentMessage | ClientMessage): string {
  return JSON.stringify(message) + "\n";
}
