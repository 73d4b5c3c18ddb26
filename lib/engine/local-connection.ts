/**
 * `connect_method = "local"`: deploys on this machine, in this process, from
 * the environment configured here (no second configure, no shipping).
 */
import { join } from "node:path";
import type { ConnectionFactory, DeployRequest, HostConnection } from "./connection.ts";
import { deployTree } from "./deploy-component.ts";
import type { Environment } from "./environment.ts";
import type { EventSink } from "./events.ts";
import { appendHistory, type HistoryEntry, LOCAL_HISTORY_FILE } from "./history.ts";
import type { Host } from "./host.ts";
import { DeploymentError } from "./errors.ts";

export class LocalConnection implements HostConnection {
  constructor(
    readonly host: Host,
    private readonly environment: Environment,
  ) {}

  async open(emit: EventSink): Promise<void> {
    emit({ event: "host", host: this.host.name, status: "connected", detail: "local" });
  }

  async deploy(request: DeployRequest, emit: EventSink): Promise<number> {
    const root = this.environment.roots.find((r) => r.host === this.host && r.name === request.root);
    if (!root) throw new DeploymentError(`no root component "${request.root}"`, { host: this.host.name });
    return deployTree(root, { predicting: request.predicting, emit, secretValues: this.environment.secretValues });
  }

  async record(entry: HistoryEntry): Promise<void> {
    appendHistory(join(this.environment.projectRoot, LOCAL_HISTORY_FILE), entry);
  }

  async close(): Promise<void> {}
}

/** Every host deployed here, in this process. */
export const localConnections: ConnectionFactory = (run) => (host) => new LocalConnection(host, run.environment);
