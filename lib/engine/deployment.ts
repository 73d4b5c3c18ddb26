/**
 * One `batou deploy ENV` run, in named phases: load (environment, components,
 * secrets, the git guards), configure until stable, connect to the hosts,
 * deploy the roots in order, summarize (the hosts' histories, the summary).
 * Each phase is timed (run-report.ts); any failure stops the run with an error
 * that names what failed and, after deploy started, which hosts changed.
 */
import { hostname } from "node:os";
import { VERSION } from "../version.ts";
import type { Component } from "./component.ts";
import { configurationErrors, configure, type ConfigureResult, configureScope } from "./configure.ts";
import type { ConnectionFactory, DeploymentRun, HostConnection } from "./connection.ts";
import { type Environment, loadEnvironmentWithErrors, type SecretsData } from "./environment.ts";
import { locateEnvironment } from "./environment-file.ts";
import { BatouError, ConfigurationError, ConfigurationErrors } from "./errors.ts";
import type { EventSink } from "./events.ts";
import type { Host } from "./host.ts";
import { localConnections } from "./local-connection.ts";
import { type Acquired, acquireLock, environmentLockPath, ownLockInfo } from "./lock-file.ts";
import { currentUser } from "./process-info.ts";
import type { Reporter } from "./reporter.ts";
import { guardInterrupts, SIGNAL_EXIT } from "./interrupt-guard.ts";
import { RunReport } from "./run-report.ts";
import { scheduleRoots } from "./scheduler.ts";
import { checkBranch, checkClean, projectRevision } from "./vcs.ts";

export interface DeploymentOptions {
  projectRoot: string;
  environment: string;
  predict: boolean;
  consistencyOnly: boolean;
  /** `-L`: deploy to this machine whatever the environment says. */
  local: boolean;
  jobs?: number;
  /** `--hosts`: deploy only these hosts (the whole model is still configured and checked). */
  hosts?: string[];
  /** `--exclude-hosts`: deploy all hosts but these. */
  excludeHosts?: string[];
  /** `--exit-code`: exit {@link EXIT_CHANGED} when something changed (or would, under -P). */
  exitCode?: boolean;
  dirty: boolean;
  timeout?: number;
  platform?: string;
  reporter: Reporter;
  /** Decrypts the environment's secrets (the secrets module); none without it. */
  loadSecrets?: (projectRoot: string, environment: string) => Promise<SecretsData | undefined>;
  /** Builds the connections to remote hosts (the remote module); local only without it. */
  remote?: ConnectionFactory;
  /** SSH connect attempts per host (default 3). */
  connectAttempts?: number;
  /** Seconds of the first back-off wait between connect attempts (default 1). */
  backoffSeconds?: number;
  /** The CLI: Ctrl-C (SIGINT/SIGTERM) closes the connections, releases the locks and exits 130. */
  handleSignals?: boolean;
}

/** `--exit-code`: the exit status of a run that changed something (or would), as Terraform's -detailed-exitcode. */
export const EXIT_CHANGED = 3;

export async function runDeployment(options: DeploymentOptions): Promise<number> {
  const report = new RunReport(options.reporter, modeOf(options));
  const held = new Held();
  const guard = options.handleSignals ? guardInterrupts((signal) => interrupt(signal, report, held)) : undefined;
  try {
    const loaded = await report.phase("load", () => load(options, held, report.emit));
    report.hosts = loaded.environment.hosts.size;
    const deployed = hostsToDeploy(loaded.environment, options);
    const configured = await report.phase("configure", () => configureModel(loaded.environment, report));
    report.roots = configured.order.filter((root) => !root.ignore && deployed.includes(root.host)).map((root) => `${root.host.name}/${root.name}`);
    if (options.consistencyOnly) {
      report.tally.components = countComponents(configured);
      return report.finish(true, 0);
    }
    const run = runValue(options, loaded);
    const connections = await report.phase("connect", () => connect(options, run, deployed, held, report.emit));
    const result = await report.phase("deploy", () => deploy(options, loaded.environment, configured, connections, report));
    if (!options.predict && !guard?.interrupted) await recordHistory(run, loaded, connections, report);
    if (result.error !== undefined) throw result.error;
    return report.finish(true, options.exitCode && report.tally.changed > 0 ? EXIT_CHANGED : 0);
  } catch (error) {
    // After an interrupt, what failed since is its consequence: the guard reported it.
    if (guard?.interrupted) return report.finish(false, SIGNAL_EXIT[guard.interrupted] ?? 130);
    return report.fail(error);
  } finally {
    await held.release();
    guard?.dispose();
  }
}

const modeOf = (options: DeploymentOptions) =>
  options.consistencyOnly ? "Consistency check" : options.predict ? "Deployment prediction" : "Deployment";

/** What this run holds and must give back however it ends: the environment lock and the connections. */
class Held {
  lock?: Acquired;
  readonly connections = new Map<string, HostConnection>();
  private released?: Promise<void>;

  /** Closes every connection, then releases the lock; once, whoever asks. */
  release(): Promise<void> {
    this.released ??= Promise.allSettled([...this.connections.values()].map((connection) => connection.close())).then(() => this.lock?.release());
    return this.released;
  }
}

interface Loaded {
  environment: Environment;
  secrets?: SecretsData;
  /** What is deployed (for the history; not looked up for -P and -c). */
  revision: { commit?: string; dirty?: boolean };
}

/** Phase 1: the environment lock, the secrets, the environment and its components; the branch check. */
async function load(options: DeploymentOptions, held: Held, emit: EventSink): Promise<Loaded> {
  const { projectRoot, environment: name, reporter } = options;
  // A missing environment is reported by the file it should be in, before secrets are read.
  locateEnvironment(projectRoot, name);
  if (!options.consistencyOnly) {
    // One deployment per environment at a time on this machine (-c changes nothing: no lock).
    held.lock = acquireLock(environmentLockPath(projectRoot, name), ownLockInfo(name), `environment "${name}"`, {
      release: `run \`batou lock release ${name}\``,
    });
    const { tookOver } = held.lock;
    if (tookOver) emit({ event: "warning", message: `took over the stale lock of pid ${tookOver.pid} (${tookOver.time}), which is gone` });
  }
  const secrets = await options.loadSecrets?.(projectRoot, name);
  if (secrets) reporter.hideSecrets(secrets.values);
  for (const warning of secrets?.warnings ?? []) emit({ event: "warning", message: warning });
  const { environment, errors, failedFiles } = await loadEnvironmentWithErrors({ projectRoot, name, platform: options.platform, timeout: options.timeout, secrets });
  // Checking a remote model here: names resolve on the hosts, by their agents.
  if (!options.local && environment.settings.connectMethod !== "local") environment.resolveAddresses = "on-hosts";
  // Every error at once: what is wrong in the configuration of what did load comes with the load errors.
  if (errors.length > 0) throw new ConfigurationErrors([...errors, ...configurationErrors(environment, failedFiles)]);
  if (!options.dirty && environment.settings.branch) await checkBranch(projectRoot, environment.settings.branch);
  if (!options.dirty && environment.settings.clean) await checkClean(projectRoot);
  if (options.dirty && !reporter.json) emit({ event: "warning", message: "dirty deployment: the branch and clean checks are skipped" });
  const revision = options.predict || options.consistencyOnly ? {} : await projectRevision(projectRoot);
  return { environment, secrets, revision };
}

/** Phase 2: configure until stable; its warnings and the components' configure logs. */
function configureModel(environment: Environment, report: RunReport): ConfigureResult {
  const configured = configure(environment);
  report.reporter.debug(`configured ${environment.roots.length} root(s) in ${configured.rounds} round(s)`);
  for (const warning of configured.warnings) report.emit({ event: "warning", message: warning });
  for (const { root, message } of configured.logs) report.emit({ event: "log", host: root.host.name, component: root.name, message });
  return configured;
}

/** Every component of the configured trees (for -c, which verifies none). */
function countComponents(configured: ConfigureResult): number {
  const count = (component: Component): number => 1 + component.subComponents.reduce((sum, child) => sum + count(child), 0);
  return configured.order.reduce((sum, root) => sum + (root.component ? count(root.component) : 0), 0);
}

/** The read-only value every connection of this run shares. */
function runValue(options: DeploymentOptions, { environment, secrets, revision }: Loaded): DeploymentRun {
  const { reporter } = options;
  return Object.freeze({
    projectRoot: options.projectRoot,
    environment,
    secrets,
    scope: (host: string) => configureScope(environment, host),
    owner: { user: currentUser(), machine: hostname(), pid: process.pid, time: new Date().toISOString(), version: VERSION, environment: environment.name },
    revision,
    predicting: options.predict,
    platform: options.platform,
    debug: reporter.debug,
    debugMode: reporter.debugMode,
    connectAttempts: options.connectAttempts ?? 3,
    backoffSeconds: options.backoffSeconds ?? 1,
  });
}

/**
 * The hosts this run deploys: those not ignored, narrowed by `--hosts` and
 * `--exclude-hosts` (names the environment does not have are errors).
 */
function hostsToDeploy(environment: Environment, options: DeploymentOptions): Host[] {
  const known = [...environment.hosts.keys()].sort();
  const errors: BatouError[] = [];
  for (const [flag, names] of [["--hosts", options.hosts], ["--exclude-hosts", options.excludeHosts]] as const) {
    for (const name of names ?? []) {
      if (!environment.hosts.has(name)) errors.push(new ConfigurationError(`${flag} names an unknown host "${name}"`, { file: environment.file, known: known.join(", ") }));
    }
  }
  if (errors.length) throw errors.length === 1 ? errors[0] : new ConfigurationErrors(errors);
  const wanted = options.hosts ? new Set(options.hosts) : undefined;
  const excluded = new Set(options.excludeHosts);
  return [...environment.hosts.values()].filter((host) => !host.ignore && (!wanted || wanted.has(host.name)) && !excluded.has(host.name));
}

/** Phase 3: open a connection to every host to deploy, all at once. */
async function connect(options: DeploymentOptions, run: DeploymentRun, hosts: Host[], held: Held, emit: EventSink): Promise<ReadonlyMap<string, HostConnection>> {
  const { environment } = run;
  const local = options.local || environment.settings.connectMethod === "local";
  if (!local && !options.remote) {
    throw new ConfigurationError("this batou cannot connect over SSH", { hint: 'use connect_method = "local" or -L' });
  }
  const connectionTo = (local ? localConnections : options.remote!)(run);
  for (const host of hosts) held.connections.set(host.name, connectionTo(host));
  await Promise.all([...held.connections.values()].map((connection) => connection.open(emit)));
  return held.connections;
}

/** Phase 4: the roots in resource order, `jobs` at once. */
function deploy(
  options: DeploymentOptions,
  environment: Environment,
  configured: ConfigureResult,
  connections: ReadonlyMap<string, HostConnection>,
  report: RunReport,
) {
  const jobs = options.jobs ?? environment.settings.jobs;
  report.reporter.debug(`deploying with ${jobs} job(s)`);
  return scheduleRoots(configured.order, configured.dependencies, connections, { jobs, predicting: options.predict, emit: report.emit });
}

/**
 * Phase 5, for deployments: every host appends this run to its history, with
 * what changed there and whether all its roots were deployed.
 */
async function recordHistory(run: DeploymentRun, { revision }: Loaded, connections: ReadonlyMap<string, HostConnection>, report: RunReport) {
  const { owner } = run;
  const common = { time: owner.time, deployer: `${owner.user}@${owner.machine}`, batou: owner.version, environment: owner.environment, ...revision };
  await Promise.all(
    [...connections.values()].map(async (connection) => {
      const host = connection.host.name;
      const ok = report.roots.filter((id) => id.startsWith(`${host}/`)).every((id) => report.tally.doneRoots.has(id));
      try {
        await connection.record({ ...common, host, ok, changed: report.tally.changes.get(host) ?? [] });
      } catch (error) {
        report.emit({ event: "warning", host, message: `cannot record the deployment in the host's history: ${(error as Error).message}` });
      }
    }),
  );
}

/** Ctrl-C: say so and what changed, stop the agents, release the locks, summarize, exit. */
async function interrupt(signal: NodeJS.Signals, report: RunReport, held: Held): Promise<never> {
  report.reporter.error(
    new BatouError(`interrupted (${signal}): stopping the remote agents and releasing the locks`, { "changed hosts": report.changedHosts(), ...report.undone() }),
  );
  await held.release();
  process.exit(report.finish(false, SIGNAL_EXIT[signal] ?? 130));
}
