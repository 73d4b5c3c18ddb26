/**
 * The SSH {@link ConnectionFactory}: one SshHostConnection per host, all
 * sharing the run value and what the remote side adds to it once per run
 * (the project's fingerprint, the connect slots).
 *
 * @module
 */
import type { ConnectionFactory } from "../engine/connection.ts";
import { PROJECT_EXCLUDES } from "./commands.ts";
import { type RemoteRun, SshHostConnection } from "./host-connection.ts";
import { type ProjectManifest, projectManifest } from "./ship/project-manifest.ts";
import { Semaphore } from "./ssh/retry.ts";

/** SSH handshakes at once (sshd's MaxStartups defaults to 10 unauthenticated connections). */
export const CONNECT_CONCURRENCY = 8;

export const sshConnections: ConnectionFactory = (run) => {
  let fingerprint: ProjectManifest | undefined;
  const remote: RemoteRun = Object.freeze({
    ...run,
    projectFingerprint: () => (fingerprint ??= projectManifest(run.projectRoot, PROJECT_EXCLUDES)),
    connectSlots: new Semaphore(CONNECT_CONCURRENCY),
  });
  return (host) => new SshHostConnection(host, remote);
};
