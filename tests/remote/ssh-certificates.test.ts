/**
 * SSH certificates against a real sshd: a CA (ssh-keygen -s) signs a user
 * certificate, the only login that sshd accepts (no authorized_keys), and a
 * host certificate, trusted through `@cert-authority` in known_hosts (no
 * plain host key). With `ssh_client = "openssh"` batou deploys through them;
 * with ssh2 each is a clear error that names the option and points to
 * OpenSSH, never a fallback to another identity or check.
 *
 * The certificate sshd is a second sshd of its own inside host1's namespaces
 * (its own port, keys and config in host1's /tmp), so the test bed's sshd
 * and the other tests are untouched; it is stopped at the end.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Testbed, startTestbed, TESTBED_DIR, TESTHOSTS, testbedAvailability } from "../testbed/testbed.ts";
import { deploy, makeProject, type Project, sshClientSetting } from "./remote-helpers.ts";

const bed = testbedAvailability();
const keygen = (...args: string[]) => {
  const r = Bun.spawnSync(["ssh-keygen", "-q", ...args], { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`ssh-keygen ${args.join(" ")}: ${r.stderr.toString()}`);
};

describe.skipIf(!bed.ok)("SSH certificates (a user certificate is the only login, the host key is trusted through its CA)", () => {
  let tb: Testbed;
  /** Outside path and the same folder seen inside host1. */
  let dir: string;
  let inside: string;
  let sshd: Bun.Subprocess<"ignore", "ignore", "pipe"> | undefined;
  const projects: Project[] = [];
  const port = 30000 + (process.pid % 20000);
  const target = `t-cert-${process.pid}`;

  /** A project whose ssh_config reaches the certificate sshd as `cahost`, with `options` added. */
  const project = (client: "ssh2" | "openssh", options: string) => {
    const [addr] = tb.addrs.host1!.split(":");
    const route = tb.mode === "netns" ? `    HostName ${addr}\n    ProxyCommand nsenter --net=/run/netns/${tb.clientNetns} nc %h %p\n` : "    HostName 127.0.0.1\n";
    const ssh = [
      "Host cahost",
      route.trimEnd(),
      `    Port ${port}`,
      "    HostKeyAlias cahost",
      `    User ${tb.user}`,
      "    IdentitiesOnly yes",
      "    GlobalKnownHostsFile /dev/null",
      "    StrictHostKeyChecking yes",
      "    BatchMode yes",
      options,
      "",
    ].join("\n");
    const env = `[environment]\ntarget_directory = "${target}"\ntimeout = 20\n${sshClientSetting(client)}\n[hosts.cahost]\ncomponents = ["plain"]\n`;
    const p = makeProject(tb, {
      "environments/cert.toml": env,
      "components/plain/component.ts": `import { Component, File } from "batou";\nexport class Plain extends Component {\n  configure() { this.add(new File("plain.txt", { content: "via a certificate\\n" })); }\n}\n`,
    });
    writeFileSync(join(p.dir, "ssh_config"), ssh); // this host only: no test bed defaults
    projects.push(p);
    return p;
  };
  const deployed = () => join(tb.roots.host1!, "home", tb.user, target, "work/plain/plain.txt");

  beforeAll(async () => {
    tb = await startTestbed(3);
    dir = mkdtempSync(join(tb.roots.host1!, "tmp", "batou-ca-"));
    inside = `/tmp/${dir.split("/").pop()}`;
    keygen("-t", "ed25519", "-N", "", "-C", "test CA", "-f", join(dir, "ca"));
    keygen("-t", "ed25519", "-N", "", "-C", "cahost", "-f", join(dir, "hostkey"));
    keygen("-s", join(dir, "ca"), "-I", "cahost", "-h", "-n", "cahost", "-V", "-5m:+1h", join(dir, "hostkey.pub"));
    keygen("-t", "ed25519", "-N", "", "-C", "user", "-f", join(dir, "userkey"));
    keygen("-s", join(dir, "ca"), "-I", "deploy-cert", "-n", tb.user, "-V", "-5m:+1h", join(dir, "userkey.pub"));
    chmodSync(join(dir, "hostkey"), 0o600);
    // the same key without its certificate beside it (OpenSSH would pick up userkey-cert.pub by itself)
    copyFileSync(join(dir, "userkey"), join(dir, "lonekey"));
    chmodSync(join(dir, "lonekey"), 0o600);
    writeFileSync(join(dir, "known_hosts"), `@cert-authority cahost ${readFileSync(join(dir, "ca.pub"), "utf8")}`);
    writeFileSync(join(dir, "plain_known_hosts"), `cahost ${readFileSync(join(dir, "hostkey.pub"), "utf8").split(" ").slice(0, 2).join(" ")}\n`);
    const listen = tb.mode === "netns" ? `${tb.addrs.host1!.split(":")[0]}:${port}` : `127.0.0.1:${port}`;
    writeFileSync(
      join(dir, "sshd_config"),
      [
        `ListenAddress ${listen}`,
        `HostKey ${inside}/hostkey`,
        `HostCertificate ${inside}/hostkey-cert.pub`,
        `TrustedUserCAKeys ${inside}/ca.pub`,
        "AuthorizedKeysFile none",
        `PidFile ${inside}/sshd.pid`,
        `AllowUsers ${tb.user}`,
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "UseDNS no",
        "",
      ].join("\n"),
    );
    sshd = Bun.spawn<"ignore", "ignore", "pipe">([TESTHOSTS, "run", "host1", "/usr/sbin/sshd", "-D", "-e", "-f", `${inside}/sshd_config`], {
      env: { ...process.env, TESTHOSTS_DIR: TESTBED_DIR },
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
    });
    // sshd -D -e logs to stderr: wait until it listens
    const reader = sshd.stderr.getReader();
    let log = "";
    while (!log.includes("Server listening")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the certificate sshd did not start: ${log}`);
      log += new TextDecoder().decode(value);
    }
    reader.releaseLock();
    void sshd.stderr.pipeTo(new WritableStream()).catch(() => {});
  }, 60_000);

  afterAll(async () => {
    sshd?.kill();
    await sshd?.exited;
    for (const p of projects) p.remove();
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(tb.roots.host1!, "home", tb.user, target), { recursive: true, force: true });
  });

  const certificate = () => `    IdentityFile ${dir}/userkey\n    CertificateFile ${dir}/userkey-cert.pub\n    UserKnownHostsFile ${dir}/known_hosts`;

  test("openssh: logs in with the user certificate and trusts the host certificate's CA", async () => {
    const result = await deploy(project("openssh", certificate()), "cert");
    expect(result.errors).toEqual([]);
    expect(result.code).toBe(0);
    expect(readFileSync(deployed(), "utf8")).toBe("via a certificate\n");
  }, 60_000);

  test("openssh: without the certificate the key alone is refused, with OpenSSH's words in the details", async () => {
    const result = await deploy(project("openssh", `    IdentityFile ${dir}/lonekey\n    UserKnownHostsFile ${dir}/known_hosts`), "cert");
    expect(result.code).toBe(1);
    const error = result.errors[0]!;
    expect(error.message).toMatch(/^connecting failed on host cahost: OpenSSH, connecting: authentication failed \(.*Permission denied \(publickey\)/);
    expect(error.context.host).toBe("cahost");
    expect(String(error.context["OpenSSH said"])).toContain("Permission denied");
  }, 60_000);

  test("openssh: a known_hosts without the CA refuses the host's certificate", async () => {
    const empty = join(dir, "empty_known_hosts");
    writeFileSync(empty, "");
    const result = await deploy(project("openssh", `    IdentityFile ${dir}/userkey\n    CertificateFile ${dir}/userkey-cert.pub\n    UserKnownHostsFile ${empty}`), "cert");
    expect(result.code).toBe(1);
    expect(result.errors[0]!.message).toMatch(/^connecting failed on host cahost: OpenSSH, connecting: the host key was refused \(.*Host key verification failed/);
  }, 60_000);

  test("ssh2: a CertificateFile is an error naming it and pointing to OpenSSH; nothing is tried instead", async () => {
    const result = await deploy(project("ssh2", certificate()), "cert");
    expect(result.code).toBe(1);
    const error = result.errors[0]!;
    expect(error.message).toBe("connecting failed on host cahost: ssh_config asks for CertificateFile, which the built-in SSH client (ssh2) cannot do");
    expect(error.context.CertificateFile).toBe(`${dir}/userkey-cert.pub`);
    expect(String(error.context.hint)).toContain('ssh_client = "openssh"');
    expect(error.context.file).toEndWith("ssh_config");
  }, 60_000);

  test("ssh2: a host known only through @cert-authority is refused, pointing to OpenSSH", async () => {
    const result = await deploy(project("ssh2", `    IdentityFile ${tb.key}\n    UserKnownHostsFile ${dir}/known_hosts`), "cert");
    expect(result.code).toBe(1);
    const message = result.errors[0]!.message;
    expect(message).toStartWith("connecting failed on host cahost: host key is not known: the host presented ssh-ed25519 key SHA256:");
    expect(message).toContain(`${dir}/known_hosts:1 trusts a certificate authority for it, whose host certificates the built-in SSH client (ssh2) cannot check`);
    expect(message).toContain('ssh_client = "openssh"');

  }, 60_000);

  test("ssh2 with the host's plain key known: the certificate-only sshd refuses the plain key (the CA is what logs in)", async () => {
    const result = await deploy(project("ssh2", `    IdentityFile ${dir}/lonekey\n    UserKnownHostsFile ${dir}/plain_known_hosts`), "cert");
    expect(result.code).toBe(1);
    expect(result.errors[0]!.message).toMatch(/^connecting failed on host cahost: authentication as deploy failed; offered: .*lonekey/);
  }, 60_000);
});
