/**
 * The one interface the deploy scheduler talks to hosts through. The local
 * implementation deploys in this process; the SSH one ships batou and the
 * project to the host and talks to the agent there. Both report through the
 * same events, so the scheduler never knows which it has.
 */
import type { EventSink } from "./events.ts";
import type { Host } from "./host.ts";

export interface DeployRootRequest {
  root: string;
  predicting: boolean;
}

export interface HostConnection {
  readonly host: Host;
  /** Connects, ships and configures, as far as the implementation needs. */
  open(emit: EventSink): Promise<void>;
  /** Deploys one root component of this host; resolves to the number of changed components. */
  deployRoot(request: DeployRootRequest, emit: EventSink): Promise<number>;
  /** Releases everything (locks, channels, processes); safe to call twice. */
  close(): Promise<void>;
}
