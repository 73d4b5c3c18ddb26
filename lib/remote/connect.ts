/**
 * The `connectRemote` hook of runDeployment: one SshHostConnection per host,
 * sharing per-run state (who deploys, for the locks; the connect slots; the
 * secrets for the agents).
 *
 * @module
 */
import { hostname } from "node:os";
import type { HostConnection } from "../engine/connection.ts";
import type { DeploymentOptions, RemoteRunInfo } from "../engine/deployment.ts";
import type { Environment } from "../engine/environment.ts";
import type { Host } from "../engine/host.ts";
import { currentUser } from "../engine/lock-file.ts";
import { VERSION } from "../version.ts";
import { Semaphore } from "./ssh/retry.ts";
import { type ProjectManifest, projectManifest } from "./ship/project-manifest.ts";
import { PROJECT_EXCLUDES } from "./commands.ts";
import { type RemoteRun, SshHostConnection } from "./host-connection.ts";

/** SSH handshakes at once (sshd's MaxStartups defaults to 10 unauthenticated connections). */
export const CONNECT_CONCURRENCY = 8;

const runs = new WeakMap<Environment, RemoteRun>();

export function connectRemote(host: Host, environment: Environment, options: DeploymentOptions, info: RemoteRunInfo): HostConnection {
  let run = runs.get(environment);
  if (!run) {
    let fingerprint: ProjectManifest | undefined;
    run = {
      projectRoot: options.projectRoot,
      environment,
      secrets: info.secrets,
      scope: info.scope,
      projectFingerprint: () => (fingerprint ??= projectManifest(options.projectRoot, PROJECT_EXCLUDES)),
      platform: options.platform,
      owner: { user: currentUser(), machine: hostname(), pid: process.pid, time: new Date().toISOString(), version: VERSION, environment: environment.name },
      debug: (line) => options.reporter.debug(line),
      debugMode: options.reporter.debugMode,
      connectSlots: new Semaphore(CONNECT_CONCURRENCY),
      connectAttempts: Number(process.env.BATOU_CONNECT_ATTEMPTS) || 3,
      backoffSeconds: process.env.BATOU_CONNECT_BACKOFF ? Number(process.env.BATOU_CONNECT_BACKOFF) : 1,
    };
    runs.set(environment, run);
  }
  return new SshHostConnection(host, run);
}
