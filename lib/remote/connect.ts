/**
 * The SSH {@link ConnectionFactory}: one SshHostConnection per host, all
 * sharing the run value and what the remote side adds to it once per run
 * (the project's fingerprint, the connect slots). And the reader of a host's
 * deployment history for `batou history` (one command, no agent).
 *
 * @module
 */
import type { ConnectionFactory } from "../engine/connection.ts";
import { DeploymentError } from "../engine/errors.ts";
import { HISTORY_FILE, type RemoteHistoryReader } from "../engine/history.ts";
import { asUser, historyReader, PROJECT_EXCLUDES, sh } from "./commands.ts";
import { openTransport } from "./open-transport.ts";
import { type RemoteRun, SshHostConnection } from "./host-connection.ts";
import { manifestEntries, manifestOf } from "./ship/project-manifest.ts";
import { Semaphore } from "./ssh/retry.ts";

/** SSH handshakes at once (sshd's MaxStartups defaults to 10 unauthenticated connections). */
export const CONNECT_CONCURRENCY = 8;

export const sshConnections: ConnectionFactory = (run) => {
  let fingerprint: ReturnType<RemoteRun["projectFingerprint"]> | undefined;
  const remote: RemoteRun = Object.freeze({
    ...run,
    projectFingerprint: () => {
      if (!fingerprint) {
        const list = manifestEntries(run.projectRoot, PROJECT_EXCLUDES);
        fingerprint = { ...manifestOf(list), list };
      }
      return fingerprint;
    },
    connectSlots: new Semaphore(CONNECT_CONCURRENCY),
  });
  return (host) => new SshHostConnection(host, remote);
};

/** Reads a host's history file with one command over SSH, as the service user. */
export const readRemoteHistory: RemoteHistoryReader = async (host, environment) => {
  const { targetDirectory, timeout } = environment.settings;
  const source = `${host.name}:${targetDirectory}/${HISTORY_FILE}`;
  const transport = await openTransport(host.fqdn, { name: host.name, settings: environment.settings, client: host.sshClient, projectRoot: environment.projectRoot, environment: environment.name, timeoutSeconds: timeout, log: () => {}, warn: () => {} });
  try {
    const user = host.serviceUser && host.serviceUser !== transport.user ? host.serviceUser : undefined;
    const remote = await transport.spawn(asUser(user, sh(historyReader(targetDirectory))));
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    remote.stdio.on("data", (chunk: Buffer) => out.push(chunk));
    remote.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    remote.stdio.end();
    const { code } = await remote.exit;
    const [stdout, stderr] = [Buffer.concat(out).toString("utf8"), Buffer.concat(err).toString("utf8")];
    if (code !== 0) throw new DeploymentError(`cannot read the deployment history on host ${host.name}`, { host: host.name, file: source, "exit code": code ?? "?", stderr: stderr.trim() || undefined });
    return { text: stdout, source };
  } finally {
    await transport.close();
  }
};
