/**
 * `connect_method = "vagrant"`: the SSH settings of a host come from
 * `vagrant ssh-config NAME`, run once per host in the project root (where the
 * Vagrantfile is); then the host is reached over SSH as any other, with that
 * block as its ssh_config (HostName, Port, User, IdentityFile,
 * IdentitiesOnly, StrictHostKeyChecking and UserKnownHostsFile as Vagrant
 * writes them; LogLevel and PasswordAuthentication do not matter: batou
 * never prompts and reports every problem itself).
 *
 * A machine that is not running is an error that says how to start it
 * (batou does not run `vagrant up` itself, unlike the original batou).
 *
 * @module
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeploymentError } from "../engine/errors.ts";
import { validTargetName, vagrantSshConfigArgv } from "./commands.ts";
import { runLocal } from "./local-process.ts";
import { SshError } from "./ssh/ssh-error.ts";
import type { Transport } from "./transport.ts";

/** What Vagrant says (on stderr, exit 1) for a machine that is not created or not running. */
const NOT_RUNNING = [/not yet ready for SSH/i, /must be created before/i, /not created/i, /is not running/i];

/** Options of {@link vagrantSshConfig}. */
export interface VagrantOptions {
  /** Where the Vagrantfile is (the project root). */
  cwd: string;
  timeoutSeconds: number;
  /** The vagrant program (default `vagrant` on PATH). */
  vagrant?: string;
}

/**
 * Why `text` (the output of `vagrant ssh-config MACHINE`) cannot be used for
 * `machine`, or undefined when it can: it must have a `Host MACHINE` block
 * with a HostName (else an ssh_config lookup would fall back to defaults and
 * reach some other host).
 */
export function vagrantConfigProblem(text: string, machine: string): string | undefined {
  const lines = text.split("\n").map((line) => line.trim());
  const hostLine = lines.findIndex((line) => /^host\s/i.test(line) && line.split(/\s+/).slice(1).includes(machine));
  if (hostLine === -1) return `it has no "Host ${machine}" block`;
  const block = lines.slice(hostLine + 1);
  const end = block.findIndex((line) => /^(host|match)\s/i.test(line));
  if (!(end === -1 ? block : block.slice(0, end)).some((line) => /^hostname\s+\S/i.test(line))) return `its "Host ${machine}" block has no HostName`;
  return undefined;
}

/** Runs `vagrant ssh-config MACHINE` in the project root; resolves to its output (an ssh_config block). */
export async function vagrantSshConfig(machine: string, options: VagrantOptions): Promise<string> {
  if (!validTargetName(machine)) {
    throw new DeploymentError(`host name ${JSON.stringify(machine)} cannot be a Vagrant machine name`, {
      host: machine,
      expected: "letters, digits, '.', '_' and '-', not starting with '-'",
    });
  }
  const argv = vagrantSshConfigArgv(machine, options.vagrant);
  const shown = argv.join(" ");
  const { ended, stdout, stderr, startError } = await runLocal(argv, options);
  if (startError) {
    const why = startError.code === "ENOENT" ? `${argv[0]} is not installed here (not found on PATH)` : startError.message;
    throw new DeploymentError(`cannot read the SSH settings of host ${machine}: ${why}`, { host: machine, command: shown });
  }
  if (ended === "timeout") throw new SshError(machine, "timeout", `${shown} did not answer within ${options.timeoutSeconds} s (timeout)`);
  if (ended.code !== 0) {
    if (NOT_RUNNING.some((pattern) => pattern.test(stderr))) {
      throw new DeploymentError(`vagrant machine ${machine} is not running: vagrant up ${machine}`, { host: machine, vagrant: stderr.replace(/\s+/g, " ") });
    }
    const how = ended.signal ? `killed by signal SIG${ended.signal}` : `exit ${ended.code}`;
    throw new DeploymentError(`${shown} failed (${how})${stderr ? `: ${stderr.split("\n").at(-1)}` : ""}`, { host: machine, vagrant: stderr || undefined, directory: options.cwd });
  }
  const problem = vagrantConfigProblem(stdout, machine);
  if (problem) throw new DeploymentError(`cannot use what ${shown} printed: ${problem}`, { host: machine, output: stdout.slice(0, 1000) });
  return stdout;
}

/** Private folders of this process, removed at the latest when it exits (a run that fails may end while another host is still opening). */
const privateDirs = new Set<string>();
let removeAtExit = false;

function privateDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "batou-vagrant-")); // mode 0700
  privateDirs.add(dir);
  if (!removeAtExit) {
    removeAtExit = true;
    process.once("exit", () => {
      for (const left of privateDirs) rmSync(left, { recursive: true, force: true });
    });
  }
  return {
    dir,
    remove: () => {
      privateDirs.delete(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The transport to Vagrant machine `machine`: its `vagrant ssh-config`
 * block, written to a private file (0700 folder) that `openSsh` reads as
 * the ssh_config; the file goes when the transport closes, the open fails,
 * or the process exits.
 */
export async function openVagrant(machine: string, options: VagrantOptions & { log?: (line: string) => void }, openSsh: (configFile: string) => Promise<Transport>): Promise<Transport> {
  const block = await vagrantSshConfig(machine, options);
  options.log?.(`vagrant ssh-config ${machine}: ${block.trim().split("\n").map((line) => line.trim()).filter(Boolean).join("; ")}`);
  const { dir, remove } = privateDir();
  try {
    const file = join(dir, "ssh_config");
    writeFileSync(file, block, { mode: 0o600 });
    const transport = await openSsh(file);
    const close = transport.close.bind(transport);
    return Object.assign(transport, { close: () => close().finally(remove) });
  } catch (error) {
    remove();
    throw error;
  }
}
