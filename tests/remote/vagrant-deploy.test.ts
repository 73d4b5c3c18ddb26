/**
 * `connect_method = "vagrant"` through the CLI. No VM provider (VirtualBox,
 * libvirt, ...) runs here, so `vagrant` on PATH is a stand-in script that
 * prints, for machine `web1`, the `ssh-config` block Vagrant would print for a
 * machine behind a ProxyCommand (its config.ssh.proxy_command), pointing at a
 * real sshd of the test bed, and Vagrant's own message for a machine that is
 * not running. Everything after `vagrant ssh-config` is the real SSH path.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestbed, type Testbed, testbedAvailability } from "../testbed/testbed.ts";
import { deploy, makeProject, type Project } from "./remote-helpers.ts";

const bed = testbedAvailability();

describe.skipIf(!bed.ok)("deploying to Vagrant machines", () => {
  let tb: Testbed;
  let bin: string;
  const projects: Project[] = [];
  const home = (host: string, path: string) => join(tb.roots[host]!, "home", path);

  beforeAll(async () => {
    tb = await startTestbed(3);
    bin = mkdtempSync(join(tmpdir(), "batou-vagrant-bin-"));
    const [addr, port] = tb.addrs.host1!.split(":");
    const proxy = tb.mode === "netns" ? `  ProxyCommand nsenter --net=/run/netns/${tb.clientNetns} nc %h %p\n` : "";
    const block = `Host web1\n  HostName ${addr}\n  User ${tb.user}\n  Port ${port}\n  UserKnownHostsFile /dev/null\n  StrictHostKeyChecking no\n  PasswordAuthentication no\n  IdentityFile ${tb.key}\n  IdentitiesOnly yes\n  LogLevel FATAL\n${proxy}`;
    const notReady = "The provider for this Vagrant-managed machine is reporting that it\nis not yet ready for SSH. Depending on your provider this can carry\ndifferent meanings. Make sure your machine is created and running and\ntry again.";
    writeFileSync(join(bin, "vagrant"), [
      "#!/bin/sh",
      `echo "$PWD $*" >> "$PWD/vagrant-calls"`,
      '[ -f Vagrantfile ] || { echo "A Vagrant environment or target machine is required to run this command." >&2; exit 1; }',
      'case "$1 $2" in',
      `  "ssh-config web1") cat <<'EOF'\n${block}\nEOF\n  ;;`,
      `  "ssh-config web2") cat >&2 <<'EOF'\n${notReady}\nEOF\n  exit 1 ;;`,
      "  *) exit 2 ;;",
      "esac",
      "",
    ].join("\n"));
    chmodSync(join(bin, "vagrant"), 0o755);
  }, 60_000);
  afterAll(() => {
    for (const p of projects) p.remove();
    rmSync(bin, { recursive: true, force: true });
  });

  const project = (target: string, hosts: string[]) => {
    const p = makeProject(tb, {
      Vagrantfile: 'Vagrant.configure("2") do |config|\nend\n',
      ".vagrant/machines/web1/virtualbox/private_key": "-----BEGIN OPENSSH PRIVATE KEY-----\nnot to be shipped\n",
      "components/plain/component.ts": `import { Component, File } from "batou";
export class Plain extends Component {
  configure() { this.add(new File("plain.txt", { content: "plain on " + this.host.name + "\\n" })); }
}
`,
      "environments/vm.toml": `[environment]\nconnect_method = "vagrant"\ntarget_directory = "${target}"\ntimeout = 20\n${hosts.map((h) => `[hosts.${h}]\ncomponents = ["plain"]\n`).join("")}`,
    });
    rmSync(join(p.dir, "ssh_config")); // Vagrant's block is all batou reads
    projects.push(p);
    return p;
  };
  const withStandIn = () => ({ PATH: `${bin}:${process.env.PATH}` });
  /** The private copies of Vagrant's blocks in the temporary folder (the stand-in's folder is not one). */
  const copies = () => readdirSync(tmpdir()).filter((name) => name.startsWith("batou-vagrant-") && !bin.endsWith(name));

  test("the SSH settings come from vagrant ssh-config, run once per host in the project root; .vagrant is never shipped", async () => {
    const target = `t-vagrant-${process.pid}`;
    const p = project(target, ["web1"]);
    const before = new Set(copies());
    const first = await deploy(p, "vm", ["-d"], withStandIn());
    expect(first.errors).toEqual([]);
    expect(first.code).toBe(0);
    expect(readFileSync(home("host1", `${tb.user}/${target}/work/plain/plain.txt`), "utf8")).toBe("plain on web1\n");
    expect(readFileSync(join(p.dir, "vagrant-calls"), "utf8")).toBe(`${p.dir} ssh-config web1\n`);
    expect(first.stdout).toContain("web1: vagrant: authenticated as deploy");
    expect(existsSync(home("host1", `${tb.user}/${target}/Vagrantfile`))).toBe(true);
    expect(existsSync(home("host1", `${tb.user}/${target}/.vagrant`))).toBe(false);
    // Vagrant's StrictHostKeyChecking no with /dev/null as known_hosts: accepted, never silently
    expect(first.events.some((e) => e.event === "warning" && e.host === "web1" && /accepting unknown .* because StrictHostKeyChecking=no/.test(e.message))).toBe(true);
    // the private copy of the block is gone with the connection
    expect(copies().filter((name) => !before.has(name))).toEqual([]);

    const again = await deploy(p, "vm", [], withStandIn());
    expect(again.errors).toEqual([]);
    expect(again.code).toBe(0);
    expect(again.summary?.changed).toBe(0);
  }, 120_000);

  test("a machine that is not running is one clear error: vagrant machine web2 is not running: vagrant up web2", async () => {
    const p = project(`t-vagrant-down-${process.pid}`, ["web1", "web2"]);
    const before = new Set(copies());
    const result = await deploy(p, "vm", [], withStandIn());
    // web1's connection was still opening when the run ended: its copy goes too
    expect(copies().filter((name) => !before.has(name))).toEqual([]);
    expect(result.code).toBe(1);
    expect(result.errors.map((e) => e.message)).toEqual(["vagrant machine web2 is not running: vagrant up web2"]);
    expect(result.errors[0]!.context.host).toBe("web2");
    expect(result.errors[0]!.context.vagrant).toContain("not yet ready for SSH");
  }, 60_000);
});
