/**
 * The batou agent: what runs on a host for one deployment, started by the
 * deploying machine over an SSH exec channel as `.batou/batou-VERSION agent`
 * in the shipped project directory. It speaks the JSON-lines protocol of
 * protocol.ts on stdin/stdout, loads the shipped project and configures its
 * host's roots and their providers (secrets arrive in memory with `setup`), deploys
 * root components on request (several at once when asked), holds the
 * target directory's lock, and exits as soon as its stdin closes, so a closed
 * channel, Ctrl-C or a lost connection never leaves it running.
 *
 * @module
 */
import { readdirSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { configure } from "../../engine/configure.ts";
import { deployTree } from "../../engine/deploy-component.ts";
import { type Environment, loadEnvironment } from "../../engine/environment.ts";
import { BatouError } from "../../engine/errors.ts";
import { type Acquired, acquireLock, currentUser, ownLockInfo } from "../../engine/lock-file.ts";
import {
  type AgentMessage,
  checkHello,
  type DeployParams,
  encode,
  hello,
  LineDecoder,
  type LockParams,
  type LockResult,
  type ManifestParams,
  type Request,
  serializeError,
  type SetupParams,
  type SetupResult,
} from "./protocol.ts";
import { type ProjectManifest, projectManifest } from "../ship/project-manifest.ts";

/** The lock file in the target directory (protected from rsync --delete by the excludes). */
export const REMOTE_LOCK_NAME = ".batou-lock";

export interface AgentOptions {
  /** The shipped project (default: the current directory). */
  projectRoot?: string;
}

/** Pids of every process below `root` (Linux /proc; empty elsewhere). */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {}
  }
  const result: number[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      result.push(child);
      walk(child);
    }
  };
  walk(root);
  return result;
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {}
  }
}

/** Runs the agent until stdin closes; never returns normally (the process exits). */
export async function runAgent(options: AgentOptions = {}): Promise<number> {
  const projectRoot = options.projectRoot ?? process.cwd();
  const rawWrite = process.stdout.write.bind(process.stdout);
  let debug = false;
  let greeted = false;
  let environment: Environment | undefined;
  let hostName: string | undefined;
  let lock: Acquired | undefined;
  /** The setup in progress: deploy requests wait for it. */
  let setupDone: Promise<unknown> | undefined;

  const send = (message: AgentMessage) => {
    try {
      rawWrite(encode(message));
    } catch {
      void shutdown(0);
    }
  };

  // Stdout is the protocol: stray console output of user code travels as `log` messages.
  const toLog = (...args: unknown[]) => send({ type: "log", id: 0, line: args.map((a) => (typeof a === "string" ? a : Bun.inspect(a))).join(" ") });
  console.log = toLog;
  console.info = toLog;
  console.debug = toLog;
  console.warn = toLog;
  console.error = toLog;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    toLog(typeof chunk === "string" ? chunk.replace(/\n$/, "") : new TextDecoder().decode(chunk).replace(/\n$/, ""));
    return true;
  }) as typeof process.stdout.write;

  let cleanup: Promise<void> | undefined;
  /** Stops running commands, releases the lock, exits. Every caller waits for the same cleanup. */
  async function shutdown(code: number): Promise<never> {
    cleanup ??= (async () => {
      // Component commands still running (Ctrl-C during update): stop them first.
      const children = descendants(process.pid);
      if (children.length) {
        signalAll(children, "SIGTERM");
        const deadline = Date.now() + 500;
        while (Date.now() < deadline && children.some(running)) await Bun.sleep(20);
        signalAll(children.filter(running), "SIGKILL");
      }
      try {
        lock?.release();
      } catch {}
      // Let a last message (e.g. the version mismatch error) reach the pipe.
      await Promise.race([new Promise<void>((resolve) => rawWrite("", () => resolve())), Bun.sleep(500)]);
    })();
    await cleanup;
    process.exit(code);
  }
  /** Alive and not a zombie. */
  const running = (pid: number) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
    } catch {
      return false;
    }
  };

  for (const [signal, number] of [["SIGTERM", 15], ["SIGINT", 2], ["SIGHUP", 1], ["SIGPIPE", 13]] as const) {
    process.on(signal, () => void shutdown(128 + number));
  }

  const handlers = {
    async lock(params: LockParams): Promise<LockResult> {
      const owner = params.owner;
      const info = ownLockInfo(owner.environment, { deployer: { user: owner.user, machine: owner.machine, pid: owner.pid } });
      lock = acquireLock(join(projectRoot, REMOTE_LOCK_NAME), info, `the target directory ${projectRoot} on ${hostname()}`);
      return { path: lock.path, tookOver: lock.tookOver };
    },

    setup(params: SetupParams): Promise<SetupResult> {
      const done = setupEnvironment(params);
      setupDone = done.catch(() => {});
      return done;
    },

    async deploy(params: DeployParams, id: number): Promise<{ changed: number }> {
      await setupDone;
      return deployOne(params, id);
    },

    async ping(): Promise<{ pid: number }> {
      return { pid: process.pid };
    },

    async manifest(params: ManifestParams): Promise<ProjectManifest> {
      return projectManifest(projectRoot, params.excludes);
    },
  };

  async function setupEnvironment(params: SetupParams): Promise<SetupResult> {
    const began = performance.now();
    debug = Boolean(params.debug);
    const loaded = await loadEnvironment({
      projectRoot,
      name: params.environment,
      platform: params.platform,
      timeout: params.timeout,
      workBase: join(projectRoot, "work"),
      secrets: params.secrets,
    });
    const host = loaded.hosts.get(params.host);
    if (!host) throw new BatouError(`the shipped environment has no host "${params.host}"`, { host: params.host, file: loaded.file });
    const result = configure(loaded, { scope: params.scope ? new Set(params.scope) : undefined });
    environment = loaded;
    hostName = params.host;
    return { roots: loaded.rootsOf(host).map((r) => r.name), configured: result.order.length, rounds: result.rounds, seconds: (performance.now() - began) / 1000 };
  }

  async function deployOne(params: DeployParams, id: number): Promise<{ changed: number }> {
    if (!environment || !hostName) throw new BatouError("deploy before setup", { host: hostName });
    const root = environment.roots.find((r) => r.host.name === hostName && r.name === params.root);
    if (!root) throw new BatouError(`no root component "${params.root}" on this host`, { host: hostName, component: params.root });
    const changed = await deployTree(root, {
      predicting: params.predicting,
      emit: (event) => send({ type: "event", id, event }),
      secretValues: environment.secretValues,
    });
    return { changed };
  }

  const handle = async (request: Request) => {
    try {
      const handler = handlers[request.method] as ((params: unknown, id: number) => Promise<unknown>) | undefined;
      if (!handler) throw new BatouError(`unknown agent request "${String(request.method)}"`);
      const result = await handler(request.params ?? {}, request.id);
      send({ type: "result", id: request.id, result });
    } catch (error) {
      send({ type: "error", id: request.id, error: serializeError(error, debug) });
    }
  };

  const decoder = new LineDecoder(
    (message) => {
      if (!greeted) {
        try {
          checkHello(message, hostname(), "deploying machine");
          greeted = true;
        } catch (error) {
          send({ type: "error", id: 0, error: serializeError(error) });
          void shutdown(3);
        }
        return;
      }
      const request = message as Request;
      if (request?.type !== "request" || typeof request.id !== "number") {
        send({ type: "error", id: 0, error: serializeError(new BatouError("malformed request", { received: JSON.stringify(message).slice(0, 200) })) });
        return;
      }
      void handle(request);
    },
    (line) => send({ type: "error", id: 0, error: serializeError(new BatouError("a line that is not JSON", { received: line.slice(0, 200) })) }),
  );

  send(hello({ pid: process.pid, user: currentUser(), hostname: hostname(), cwd: projectRoot }));

  process.stdin.on("data", (chunk: Buffer) => decoder.push(chunk));
  process.stdin.on("end", () => void shutdown(0));
  process.stdin.on("close", () => void shutdown(0));
  process.stdin.on("error", () => void shutdown(0));
  process.stdin.resume();
  return new Promise<number>(() => {});
}
