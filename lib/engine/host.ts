import type { SshClient } from "./environment-schema.ts";

/**
 * A host of an environment as components see it (`this.host`): its name,
 * fully qualified name, free-form `data` from the environment (and secrets),
 * platform and service user.
 */
export class Host {
  /** Root component names deployed here, in environment order ("!name" ones included). */
  readonly components: string[] = [];

  constructor(
    readonly name: string,
    readonly fqdn: string,
    readonly data: Record<string, unknown>,
    readonly platform: string | undefined,
    readonly serviceUser: string | undefined,
    /** Configured (its resources count) but never connected to. */
    readonly ignore: boolean,
    /** How batou reaches it over SSH (`ssh_client`): the built-in ssh2 or the system's OpenSSH. */
    readonly sshClient: SshClient = "ssh2",
  ) {}

  toString(): string {
    return this.name;
  }
}
