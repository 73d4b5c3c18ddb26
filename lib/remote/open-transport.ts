/**
 * Opens the transport to one host, as the environment's `connect_method`
 * says: `ssh` (an ssh2 connection, ssh/connection.ts), `vagrant` (SSH with
 * the settings `vagrant ssh-config` prints, vagrant.ts) or `exec` (the
 * environment's `exec` command, exec/transport.ts).
 *
 * @module
 */
import type { EnvironmentSettings } from "../engine/environment-schema.ts";
import { ExecTransport } from "./exec/transport.ts";
import { SshConnection } from "./ssh/connection.ts";
import type { Transport } from "./transport.ts";
import { openVagrant } from "./vagrant.ts";

/** What opening a transport needs besides the host alias. */
export interface TransportOptions {
  /** The host's name in the environment: `{host}` of `exec`, the Vagrant machine. */
  name: string;
  /** The environment's settings (`connect_method`, `exec`). */
  settings: Pick<EnvironmentSettings, "connectMethod" | "exec">;
  /** The project root (its `ssh_config` is used when present; `vagrant` runs there). */
  projectRoot: string;
  /** Deadline for the whole open, in seconds. */
  timeoutSeconds: number;
  /** --debug lines. */
  log: (line: string) => void;
  /** Lines the user must see (accepted unknown host keys). */
  warn: (line: string) => void;
}

/** Connects to `alias` (an ssh_config alias: the host's FQDN), or to the host `options.name` by the environment's other connect methods. */
export function openTransport(alias: string, options: TransportOptions): Promise<Transport> {
  const { connectMethod, exec } = options.settings;
  if (connectMethod === "exec") return ExecTransport.open(options.name, exec ?? [], options);
  if (connectMethod === "vagrant") {
    return openVagrant(options.name, { ...options, cwd: options.projectRoot }, (configFile) => SshConnection.open(options.name, { ...options, configFile }));
  }
  return SshConnection.open(alias, options);
}
