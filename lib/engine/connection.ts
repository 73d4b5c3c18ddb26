/**
 * The one interface the deploy scheduler talks to hosts through. The local
 * implementation deploys in this process; the SSH one ships batou and the
 * project to the host and talks to the agent there. Both report through the
 * same events, so the scheduler never knows which it has.
 *
 * A run builds its connections once, after configure, from one read-only
 * {@link DeploymentRun}: a {@link ConnectionFactory} turns that value into
 * `(host) => HostConnection`.
 */
import type { Environment, SecretsData } from "./environment.ts";
import type { EventSink } from "./events.ts";
import type { HistoryEntry } from "./history.ts";
import type { Host } from "./host.ts";

export interface DeployRequest {
  root: string;
  predicting: boolean;
  /**
   * The scheduler found that nothing this root's verify could see changed in
   * this run before its turn: a connection whose host verified the root ahead
   * ({@link HostConnection.speculated}) may replay that verify's events
   * instead of deploying it again.
   */
  replay?: boolean;
}

export interface HostConnection {
  readonly host: Host;
  /** Connects, ships and configures, as far as the implementation needs. */
  open(emit: EventSink): Promise<void>;
  /**
   * Whether the host already verified `root` (read-only, while configuring)
   * and found nothing to do; then a deploy with `replay` costs no round trip.
   */
  speculated?(root: string): boolean;
  /** Deploys one root component of this host; resolves to the number of changed components. */
  deploy(request: DeployRequest, emit: EventSink): Promise<number>;
  /** Appends one entry to the host's deployment history (after a deployment, before close). */
  record(entry: HistoryEntry): Promise<void>;
  /** Releases everything (locks, channels, processes); safe to call twice. */
  close(): Promise<void>;
}

/** Who runs a deployment, as the locks on the hosts record it (the agent protocol's LockOwner). */
export interface Deployer {
  user: string;
  machine: string;
  pid: number;
  /** ISO time the run started. */
  time: string;
  /** This batou's version. */
  version: string;
  environment: string;
}

/** What every connection of one run shares: complete once configure is done, never changed. */
export interface DeploymentRun {
  readonly projectRoot: string;
  /** The configured environment. */
  readonly environment: Environment;
  /** Decrypted secrets: sent to the agents, in memory only. */
  readonly secrets?: SecretsData;
  /** Ids of the roots a host's agent must configure (its own and their providers). */
  readonly scope: (host: string) => string[];
  readonly owner: Deployer;
  /** The project's git commit and whether it had uncommitted changes (for the hosts' history; none for -P and -c). */
  readonly revision?: { commit?: string; dirty?: boolean };
  /** `-P`: the run predicts (nothing changes anywhere). */
  readonly predicting?: boolean;
  /** `-p`: the platform of hosts that set none. */
  readonly platform?: string;
  /** Where debug lines go (printed only under `--debug`). */
  readonly debug: (line: string) => void;
  /** `--debug`: agents send stack traces. */
  readonly debugMode: boolean;
  /** SSH connect attempts per host before it counts as unreachable. */
  readonly connectAttempts: number;
  /** Seconds of the first back-off wait between attempts (doubles per attempt, with jitter). */
  readonly backoffSeconds: number;
}

/** Builds the connections of one run: called once, after configure. */
export type ConnectionFactory = (run: DeploymentRun) => (host: Host) => HostConnection;
