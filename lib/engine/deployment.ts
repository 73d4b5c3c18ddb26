/**
 * One `batou deploy ENV` run: load (environment, components, secrets),
 * configure until stable, connect to the hosts, deploy the roots in order,
 * and summarize. Each phase is timed; any failure stops the run with an error
 * that names what failed and, after deploy started, which hosts changed.
 */
import { join } from "node:path";
import { configure, configureScope } from "./configure.ts";
import type { HostConnection } from "./connection.ts";
import { type Environment, loadEnvironment, type SecretsData } from "./environment.ts";
import { locateEnvironment } from "./environment-file.ts";
import { BatouError, ConfigurationError } from "./errors.ts";
import type { DeployEvent } from "./events.ts";
import type { Host } from "./host.ts";
import { LocalConnection } from "./local-connection.ts";
import { type Acquired, acquireLock, ownLockInfo } from "./lock-file.ts";
import type { Reporter } from "./reporter.ts";
import { deployRoots } from "./scheduler.ts";
import { checkBranch } from "./vcs.ts";

export interface DeploymentOptions {
  projectRoot: string;
  environment: string;
  predict: boolean;
  consistencyOnly: boolean;
  /** `-L`: deploy to this machine whatever the environment says. */
  local: boolean;
  jobs?: number;
  dirty: boolean;
  timeout?: number;
  platform?: string;
  reporter: Reporter;
  /** Decrypts the environment's secrets (the secrets module); none without it. */
  loadSecrets?: (projectRoot: string, environment: string) => Promise<SecretsData | undefined>;
  /** Opens a connection to a remote host (the remote module); local only without it. */
  connectRemote?: (host: Host, environment: Environment, options: DeploymentOptions, run: RemoteRunInfo) => HostConnection;
  /** The CLI: Ctrl-C (SIGINT/SIGTERM) closes the connections, releases the locks and exits 130. */
  handleSignals?: boolean;
}

/** What a remote connection needs from this run beyond the environment. */
export interface RemoteRunInfo {
  /** Decrypted secrets: sent to the agents, in memory only. */
  secrets?: SecretsData;
  /** Ids of the roots a host's agent must configure (its own and their providers). */
  scope?: (host: string) => string[];
}

type Phase = "load" | "configure" | "connect" | "deploy";

export async function runDeployment(options: DeploymentOptions): Promise<number> {
  const { reporter } = options;
  const started = performance.now();
  const phases: Record<string, number> = {};
  const mode = options.consistencyOnly ? "Consistency check" : options.predict ? "Deployment prediction" : "Deployment";
  let phase = "load" as Phase;
  let changed = 0;
  let components = 0;
  let hosts = 0;
  let changedHosts: string[] = [];
  const connections = new Map<string, HostConnection>();
  const run: RemoteRunInfo = {};
  const touchedHosts = new Set<string>();
  let lock: Acquired | undefined;
  let interrupted = false;
  const emit = (event: DeployEvent) => {
    if (event.event === "component") components++;
    if (event.event === "component" && event.changed) touchedHosts.add(event.host);
    reporter.emit(event);
  };
  const timed = async <T>(name: Phase, work: () => Promise<T> | T): Promise<T> => {
    phase = name;
    const begin = performance.now();
    try {
      return await work();
    } finally {
      phases[name] = (performance.now() - begin) / 1000;
    }
  };
  const onSignal = (signal: NodeJS.Signals) => {
    const code = signal === "SIGINT" ? 130 : 143;
    if (interrupted) process.exit(code); // a second Ctrl-C: leave now
    interrupted = true;
    reporter.error(
      new BatouError(`interrupted (${signal}): stopping the remote agents and releasing the locks`, {
        "changed hosts": [...touchedHosts].join(", ") || "none",
      }),
    );
    setTimeout(() => process.exit(code), 8000).unref();
    void Promise.allSettled([...connections.values()].map((connection) => connection.close())).finally(() => {
      lock?.release();
      summary(false);
      process.exit(code);
    });
  };
  if (options.handleSignals) {
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }
  let summarized = false;
  /** The summary, once (an interrupt and the unwinding run may both get here). */
  const summary = (ok: boolean) => {
    if (summarized) return;
    summarized = true;
    emit({ event: "summary", ok, changed, hosts, components, mode, seconds: (performance.now() - started) / 1000, phases });
  };

  try {
    const environment = await timed("load", async () => {
      // A missing environment is reported by the file it should be in, before secrets are read.
      locateEnvironment(options.projectRoot, options.environment);
      if (!options.consistencyOnly) {
        // One deployment per environment at a time on this machine (-c changes nothing: no lock).
        lock = acquireLock(
          join(options.projectRoot, "work", `.batou-lock-${options.environment}`),
          ownLockInfo(options.environment),
          `environment "${options.environment}"`,
        );
        if (lock.tookOver) emit({ event: "warning", message: `took over the stale lock of pid ${lock.tookOver.pid} (${lock.tookOver.time}), which is gone` });
      }
      const secrets = await options.loadSecrets?.(options.projectRoot, options.environment);
      run.secrets = secrets;
      if (secrets) reporter.hideSecrets(secrets.values);
      for (const warning of secrets?.warnings ?? []) emit({ event: "warning", message: warning });
      const loaded = await loadEnvironment({
        projectRoot: options.projectRoot,
        name: options.environment,
        platform: options.platform,
        timeout: options.timeout,
        secrets,
      });
      if (!options.dirty && loaded.settings.branch) await checkBranch(options.projectRoot, loaded.settings.branch);
      return loaded;
    });
    if (options.dirty && !reporter.json) reporter.emit({ event: "warning", message: "dirty deployment: the branch check is skipped" });
    hosts = environment.hosts.size;
    const configured = await timed("configure", () => configure(environment));
    run.scope = (host) => configureScope(environment, host);
    reporter.debug(`configured ${environment.roots.length} root(s) in ${configured.rounds} round(s)`);
    for (const warning of configured.warnings) emit({ event: "warning", message: warning });
    for (const { root, message } of configured.logs) emit({ event: "log", host: root.host.name, component: root.name, message });
    if (options.consistencyOnly) {
      summary(true);
      return 0;
    }
    const local = options.local || environment.settings.connectMethod === "local";
    await timed("connect", async () => {
      const active = [...environment.hosts.values()].filter((host) => !host.ignore);
      for (const host of active) connections.set(host.name, openConnection(host, environment, options, local, run));
      await Promise.all(active.map((host) => connections.get(host.name)!.open(emit)));
    });
    const jobs = options.jobs ?? environment.settings.jobs;
    reporter.debug(`deploying with ${jobs} job(s)`);
    const result = await timed("deploy", () =>
      deployRoots(configured.order, configured.dependencies, connections, { jobs, predicting: options.predict, emit }),
    );
    changed = result.changed;
    changedHosts = result.changedHosts;
    if (result.error !== undefined) throw result.error;
    summary(true);
    return 0;
  } catch (error) {
    if (interrupted) {
      // The signal handler reported it; what failed since is its consequence.
      summary(false);
      return 130;
    }
    reporter.error(error);
    if (phase === "deploy") {
      reporter.error(
        new BatouError(`the ${mode.toLowerCase()} stopped`, {
          "changed hosts": changedHosts.length ? changedHosts.join(", ") : "none",
        }),
      );
    }
    reporter.info(`${mode} FAILED (during ${phase})`);
    summary(false);
    return 1;
  } finally {
    await Promise.allSettled([...connections.values()].map((connection) => connection.close()));
    lock?.release();
    if (options.handleSignals) {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  }
}

function openConnection(host: Host, environment: Environment, options: DeploymentOptions, local: boolean, run: RemoteRunInfo): HostConnection {
  if (local) return new LocalConnection(host, environment);
  if (!options.connectRemote) {
    throw new ConfigurationError("this batou cannot connect over SSH", { host: host.name, hint: 'use connect_method = "local" or -L' });
  }
  return options.connectRemote(host, environment, options, run);
}
