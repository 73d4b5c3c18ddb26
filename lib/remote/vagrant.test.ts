/**
 * `connect_method = "vagrant"`: what `vagrant ssh-config` prints, read as
 * the SSH settings of a host, and what it says for machines that are not
 * running. No VM provider (VirtualBox, libvirt, ...) runs here, so `vagrant`
 * is a stand-in script that prints what Vagrant's own template
 * (templates/commands/ssh_config/config.erb) renders and Vagrant's own
 * messages; the deploy over SSH with such a block is in
 * tests/remote/vagrant-deploy.test.ts.
 */
import { afterEach, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveSshSettings } from "./ssh/config.ts";
import { openVagrant, vagrantConfigProblem, vagrantSshConfig } from "./vagrant.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A project folder with a Vagrantfile and a stand-in `vagrant` that answers `ssh-config` from `machines` (name → stdout, or an error). */
function standIn(machines: Record<string, { stdout: string } | { stderr: string }>, extra = ""): { dir: string; vagrant: string; log: string } {
  const dir = mkdtempSync(join(tmpdir(), "batou-vagrant-test-"));
  dirs.push(dir);
  writeFileSync(join(dir, "Vagrantfile"), 'Vagrant.configure("2") do |config| end\n');
  const cases = Object.entries(machines).map(([name, answer]) =>
    "stdout" in answer ? `  ${name}) cat <<'EOF'\n${answer.stdout}EOF\n  ;;` : `  ${name}) cat >&2 <<'EOF'\n${answer.stderr}EOF\n  exit 1 ;;`,
  );
  const vagrant = join(dir, "vagrant-stand-in");
  writeFileSync(vagrant, [
    "#!/bin/sh",
    `echo "$PWD $*" >> ${join(dir, "calls")}`,
    extra,
    '[ -f Vagrantfile ] || { echo "A Vagrant environment or target machine is required to run this command." >&2; exit 1; }',
    '[ "$1" = ssh-config ] || exit 2',
    'case "$2" in',
    ...cases,
    `  *) echo "The machine with the name '$2' was not found configured for this Vagrant environment." >&2; exit 1 ;;`,
    "esac",
    "",
  ].join("\n"));
  chmodSync(vagrant, 0o755);
  return { dir, vagrant, log: join(dir, "calls") };
}

/** `vagrant ssh-config web1` as Vagrant 2.2 renders its template: a blank line per key, a key path with a space quoted. */
const VAGRANT_22 = `Host web1
  HostName 127.0.0.1
  User vagrant
  Port 2222
  UserKnownHostsFile /dev/null
  StrictHostKeyChecking no
  PasswordAuthentication no

  IdentityFile "/home/me/my project/.vagrant/machines/web1/virtualbox/private_key"

  IdentityFile /home/me/.vagrant.d/insecure_private_key
  IdentitiesOnly yes
  LogLevel FATAL

`;

/** As Vagrant 2.3 and later print it (also for libvirt machines on their own address). */
const VAGRANT_23 = `Host db
  HostName 192.168.121.17
  User vagrant
  Port 22
  UserKnownHostsFile /dev/null
  StrictHostKeyChecking no
  PasswordAuthentication no
  IdentityFile /home/me/project/.vagrant/machines/db/libvirt/private_key
  IdentitiesOnly yes
  LogLevel FATAL
  PubkeyAcceptedKeyTypes +ssh-rsa
  HostKeyAlgorithms +ssh-rsa

`;

const NOT_READY = `The provider for this Vagrant-managed machine is reporting that it
is not yet ready for SSH. Depending on your provider this can carry
different meanings. Make sure your machine is created and running and
try again. Additionally, check the output of \`vagrant status\` to verify
that the machine is in the state that you expect. If you continue to
get this error message, please view the documentation for the provider
you're using.
`;

/** The settings batou connects with, read from the file openVagrant writes (then the open is stopped). */
async function settingsOf(machine: string, project: ReturnType<typeof standIn>) {
  let file = "";
  const stop = new Error("stop after reading the settings");
  let settings: ReturnType<typeof resolveSshSettings> | undefined;
  const error = await openVagrant(machine, { cwd: project.dir, timeoutSeconds: 10, vagrant: project.vagrant }, async (configFile) => {
    file = configFile;
    settings = resolveSshSettings(machine, { configFile });
    throw stop;
  }).catch((e) => e);
  expect(error).toBe(stop);
  expect(existsSync(file)).toBe(false); // the private copy goes when the open fails (and when the transport closes)
  return settings!;
}

test("the documented format: HostName, Port, User, IdentityFile (quoted, several), IdentitiesOnly, StrictHostKeyChecking, UserKnownHostsFile", async () => {
  const project = standIn({ web1: { stdout: VAGRANT_22 }, db: { stdout: VAGRANT_23 } });
  const web1 = await settingsOf("web1", project);
  expect(web1).toMatchObject({
    alias: "web1",
    hostName: "127.0.0.1",
    port: 2222,
    user: "vagrant",
    identityFiles: ["/home/me/my project/.vagrant/machines/web1/virtualbox/private_key", "/home/me/.vagrant.d/insecure_private_key"],
    identitiesOnly: true,
    strictHostKeyChecking: "no",
    userKnownHostsFiles: ["/dev/null"],
    proxyCommand: null,
    proxyJump: [],
  });
  const db = await settingsOf("db", project);
  expect(db).toMatchObject({ hostName: "192.168.121.17", port: 22, user: "vagrant", identityFiles: ["/home/me/project/.vagrant/machines/db/libvirt/private_key"], strictHostKeyChecking: "no" });
  // once per machine, in the project root
  expect(readFileSync(project.log, "utf8")).toBe(`${project.dir} ssh-config web1\n${project.dir} ssh-config db\n`);
});

test("a machine that is not running, or not created, is one clear error with the command that starts it", async () => {
  const project = standIn({
    web1: { stderr: NOT_READY },
    web2: { stderr: "VM must be created before running this command. Run `vagrant up` first.\n" },
  });
  for (const machine of ["web1", "web2"]) {
    const error = await vagrantSshConfig(machine, { cwd: project.dir, timeoutSeconds: 10, vagrant: project.vagrant }).catch((e) => e);
    expect(error.message).toBe(`vagrant machine ${machine} is not running: vagrant up ${machine}`);
    expect(error.context.host).toBe(machine);
    expect(error.context.vagrant).toContain(machine === "web1" ? "not yet ready for SSH" : "must be created");
  }
});

test("other failures keep Vagrant's message; no vagrant, a hanging vagrant, a name that could be an option, output without the machine", async () => {
  const project = standIn({ other: { stdout: VAGRANT_23 } });
  const options = { cwd: project.dir, timeoutSeconds: 10, vagrant: project.vagrant };
  const unknown = await vagrantSshConfig("web9", options).catch((e) => e);
  expect(unknown.message).toBe(`${project.vagrant} ssh-config web9 failed (exit 1): The machine with the name 'web9' was not found configured for this Vagrant environment.`);
  const wrong = await vagrantSshConfig("other", options).catch((e) => e);
  expect(wrong.message).toBe(`cannot use what ${project.vagrant} ssh-config other printed: it has no "Host other" block`);

  const missing = await vagrantSshConfig("web1", { ...options, vagrant: join(project.dir, "no-vagrant-here") }).catch((e) => e);
  expect(missing.message).toBe(`cannot read the SSH settings of host web1: ${join(project.dir, "no-vagrant-here")} is not installed here (not found on PATH)`);

  const slow = standIn({ web1: { stdout: VAGRANT_22 } }, "sleep 30");
  const began = performance.now();
  const hanging = await vagrantSshConfig("web1", { cwd: slow.dir, timeoutSeconds: 1, vagrant: slow.vagrant }).catch((e) => e);
  expect(hanging.message).toBe(`${slow.vagrant} ssh-config web1 did not answer within 1 s (timeout)`);
  expect(performance.now() - began).toBeLessThan(5000);

  const option = await vagrantSshConfig("--help", options).catch((e) => e);
  expect(option.message).toBe('host name "--help" cannot be a Vagrant machine name');
  expect(existsSync(project.log) ? readFileSync(project.log, "utf8") : "").not.toContain("--help");
});

test("what makes printed settings unusable", () => {
  expect(vagrantConfigProblem(VAGRANT_22, "web1")).toBeUndefined();
  expect(vagrantConfigProblem(VAGRANT_22, "web") ).toBe('it has no "Host web" block');
  expect(vagrantConfigProblem("Host web1\n  User vagrant\nHost web2\n  HostName 10.0.0.2\n", "web1")).toBe('its "Host web1" block has no HostName');
  expect(vagrantConfigProblem("", "web1")).toBe('it has no "Host web1" block');
});
