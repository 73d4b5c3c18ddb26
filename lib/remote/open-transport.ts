/**
 * Opens the transport to one host, as the environment's `connect_method`
 * says: `ssh`, `vagrant` (SSH with the settings `vagrant ssh-config` prints,
 * vagrant.ts) or `exec` (the environment's `exec` command,
 * exec/transport.ts). SSH is the host's `ssh_client`: the built-in ssh2
 * connection (ssh/connection.ts, the default) or the system's OpenSSH with a
 * ControlMaster (openssh/transport.ts). Both read the project's
 * `ssh_config_<environment>`, else its `ssh_config`, when there is one;
 * otherwise ssh2 reads `~/.ssh/config` and OpenSSH its own files.
 *
 * @module
 */
import type { EnvironmentSettings, SshClient } from "../engine/environment-schema.ts";
import { ExecTransport } from "./exec/transport.ts";
import { OpenSshTransport } from "./openssh/transport.ts";
import { projectSshConfig } from "./ssh/config.ts";
import { SshConnection } from "./ssh/connection.ts";
import type { Transport } from "./transport.ts";
import { openVagrant } from "./vagrant.ts";

/** What opening a transport needs besides the host alias. */
export interface TransportOptions {
  /** The host's name in the environment: `{host}` of `exec`, the Vagrant machine. */
  name: string;
  /** The environment's settings (`connect_method`, `exec`). */
  settings: Pick<EnvironmentSettings, "connectMethod" | "exec">;
  /** Which SSH client reaches the host (`ssh`, `vagrant`). */
  client: SshClient;
  /** The project root (its `ssh_config_<environment>` or `ssh_config` is used when present; `vagrant` runs there). */
  projectRoot: string;
  /** The environment's name (for `ssh_config_<environment>`). */
  environment: string;
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
  const ssh = (name: string, configFile: string | undefined) =>
    options.client === "openssh"
      ? OpenSshTransport.open(name, { configFile, timeoutSeconds: options.timeoutSeconds, log: options.log })
      : SshConnection.open(name, { ...options, configFile });
  if (connectMethod === "vagrant") return openVagrant(options.name, { ...options, cwd: options.projectRoot }, (configFile) => ssh(options.name, configFile));
  return ssh(alias, projectSshConfig(options.projectRoot, options.environment));
}
