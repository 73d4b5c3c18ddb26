import type { SshError } from "./ssh-error.ts";
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { findSshConfigFile, parseProxyJump, projectSshConfig, resolveSshSettings } from "./config.ts";

const root = mkdtempSync(join(tmpdir(), "batou-sshcfg-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function config(text: string): string {
  const file = join(root, `config-${n++}`);
  writeFileSync(file, text);
  return file;
}
const home = join(root, "home");

describe("resolveSshSettings", () => {
  test("a missing file means OpenSSH defaults", () => {
    const s = resolveSshSettings("example.org", { configFile: join(root, "nope"), home });
    expect(s).toMatchObject({
      alias: "example.org", hostName: "example.org", user: userInfo().username, port: 22,
      identitiesOnly: false, proxyJump: [], proxyCommand: null, hostKeyAlias: null,
      strictHostKeyChecking: "ask", connectTimeoutSeconds: null, configFile: null, identityFilesConfigured: false,
    });
    expect(s.identityFiles).toContain(join(home, ".ssh", "id_ed25519"));
    expect(s.userKnownHostsFiles).toEqual([join(home, ".ssh/known_hosts"), join(home, ".ssh/known_hosts2")]);
    expect(s.globalKnownHostsFiles).toEqual(["/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"]);
  });

  test("Host patterns: first obtained value wins, * and ! work, %h in HostName", () => {
    const file = config(`
Host web* !webx
    HostName %h.example.com
    Port 2222
Host web1
    Port 3333
    User alice
Host *
    User bob
    Port 4444
    ConnectTimeout 7
    StrictHostKeyChecking accept-new
    IdentitiesOnly yes
`);
    const s = resolveSshSettings("web1", { configFile: file, home });
    expect(s).toMatchObject({ hostName: "web1.example.com", port: 2222, user: "alice", connectTimeoutSeconds: 7,
      strictHostKeyChecking: "accept-new", identitiesOnly: true, configFile: file });
    const x = resolveSshSettings("webx", { configFile: file, home });
    expect(x).toMatchObject({ hostName: "webx", port: 4444, user: "bob" });
  });

  test("IdentityFile accumulates, expands ~ and tokens", () => {
    const file = config(`
Host a
    IdentityFile ~/.ssh/first
    IdentityFile "/keys/%r at %h"
Host *
    User deploy
    IdentityFile ~/.ssh/last
`);
    const s = resolveSshSettings("a", { configFile: file, home });
    expect(s.identityFiles).toEqual([join(home, ".ssh/first"), "/keys/deploy at a", join(home, ".ssh/last")]);
    expect(s.identityFilesConfigured).toBe(true);
  });

  test("ProxyCommand tokens %h %p %r %n %%", () => {
    const file = config(`
Host t
    HostName 10.0.0.9
    Port 2200
    User u
    ProxyCommand nc -X 5 %h %p -- %r %n 100%%
`);
    expect(resolveSshSettings("t", { configFile: file, home }).proxyCommand).toBe("nc -X 5 10.0.0.9 2200 -- u t 100%");
  });

  test("ProxyCommand expansions are quoted for its shell; plain names stay as they are", () => {
    const file = config("Host odd\n    HostName a*b\n    User it's\n    ProxyCommand nc %h %p -- %r %n\n");
    expect(resolveSshSettings("odd", { configFile: file, home }).proxyCommand).toBe(`nc 'a*b' 22 -- 'it'\\''s' odd`);
  });

  test("an unknown token is an error naming the alias and file", () => {
    const file = config("Host t\n    ProxyCommand nc %Z %p\n");
    const error = (() => {
      try {
        resolveSshSettings("t", { configFile: file, home });
      } catch (e) {
        return e as SshError;
      }
    })();
    expect(error?.message).toMatch(/^unknown token %Z in ProxyCommand .*config-/);
    expect(error?.context.host).toBe("t");
  });

  test("ProxyJump chains; whichever of ProxyJump/ProxyCommand comes first wins", () => {
    const file = config(`
Host jumped
    HostName host2
    ProxyJump alice@j1:2022,ssh://j2,[::1]:22
Host direct
    ProxyCommand none
Host *
    ProxyCommand nc %h %p
    ProxyJump never
`);
    const s = resolveSshSettings("jumped", { configFile: file, home });
    expect(s.proxyJump).toEqual([{ host: "j1", user: "alice", port: 2022 }, { host: "j2" }, { host: "::1", port: 22 }]);
    expect(s.proxyCommand).toBeNull();
    const d = resolveSshSettings("direct", { configFile: file, home });
    expect(d.proxyCommand).toBeNull();
    expect(d.proxyJump).toEqual([]);
    const o = resolveSshSettings("other", { configFile: file, home });
    expect(o.proxyCommand).toBe("nc other 22");
    expect(o.proxyJump).toEqual([]);
  });

  test("known hosts files: several, none, HostKeyAlias", () => {
    const file = config(`
Host k
    HostKeyAlias kalias
    UserKnownHostsFile ~/kh1 "/etc/kh 2"
    GlobalKnownHostsFile none
`);
    const s = resolveSshSettings("k", { configFile: file, home });
    expect(s.hostKeyAlias).toBe("kalias");
    expect(s.userKnownHostsFiles).toEqual([join(home, "kh1"), "/etc/kh 2"]);
    expect(s.globalKnownHostsFiles).toEqual([]);
  });

  test("StrictHostKeyChecking spellings", () => {
    const file = config("Host a\n StrictHostKeyChecking no\nHost b\n StrictHostKeyChecking yes\nHost c\n StrictHostKeyChecking off\n");
    expect(resolveSshSettings("a", { configFile: file, home }).strictHostKeyChecking).toBe("no");
    expect(resolveSshSettings("b", { configFile: file, home }).strictHostKeyChecking).toBe("yes");
    expect(resolveSshSettings("c", { configFile: file, home }).strictHostKeyChecking).toBe("no");
  });

  test("an invalid Port names the host and the file", () => {
    const file = config("Host p\n    Port many\n");
    expect(() => resolveSshSettings("p", { configFile: file, home })).toThrow(`invalid Port "many" in ${file}`);
  });

  test("top-level Include with a glob relative to ~/.ssh", () => {
    mkdirSync(join(home, ".ssh", "conf.d"), { recursive: true });
    writeFileSync(join(home, ".ssh", "conf.d", "10-inc.conf"), "Host inc\n    HostName included.example\n");
    const file = config("Include conf.d/*.conf\nHost *\n    Port 2\n");
    expect(resolveSshSettings("inc", { configFile: file, home })).toMatchObject({ hostName: "included.example", port: 2 });
  });
});

describe("findSshConfigFile", () => {
  test("explicit file, then the project's ssh_config, then ~/.ssh/config", () => {
    const project = join(root, "project");
    mkdirSync(project, { recursive: true });
    expect(findSshConfigFile({ projectRoot: project, home })).toBe(join(home, ".ssh", "config"));
    writeFileSync(join(project, "ssh_config"), "Host *\n    User projectuser\n");
    expect(findSshConfigFile({ projectRoot: project, home })).toBe(join(project, "ssh_config"));
    expect(findSshConfigFile({ projectRoot: project, home, configFile: "/x/y" })).toBe("/x/y");
    expect(resolveSshSettings("any", { projectRoot: project, home }).user).toBe("projectuser");
  });

  test("the project's ssh_config_ENV wins over its ssh_config for environment ENV (as batou)", () => {
    const project = join(root, "project-env");
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, "ssh_config"), "Host *\n    User projectuser\n");
    expect(projectSshConfig(project, "prod")).toBe(join(project, "ssh_config"));
    writeFileSync(join(project, "ssh_config_prod"), "Host *\n    User produser\n");
    expect(projectSshConfig(project, "prod")).toBe(join(project, "ssh_config_prod"));
    expect(projectSshConfig(project, "staging")).toBe(join(project, "ssh_config"));
    expect(findSshConfigFile({ projectRoot: project, environment: "prod", home })).toBe(join(project, "ssh_config_prod"));
    expect(resolveSshSettings("any", { projectRoot: project, environment: "prod", home }).user).toBe("produser");
    expect(resolveSshSettings("any", { projectRoot: project, environment: "staging", home }).user).toBe("projectuser");
    expect(projectSshConfig(join(root, "no-such-project"), "prod")).toBeUndefined();
  });
});

test("parseProxyJump rejects garbage with the alias in the message", () => {
  expect(() => parseProxyJump("a@", "h1")).toThrow(/^invalid ProxyJump entry/);
});

describe("what only OpenSSH can do is an error with ssh2, never ignored", () => {
  const refused = (text: string, alias = "h") => {
    try {
      resolveSshSettings(alias, { configFile: config(text), home });
    } catch (e) {
      return e as SshError;
    }
    throw new Error("not refused");
  };

  test.each([
    ["CertificateFile", "Host h\n    CertificateFile ~/.ssh/id_ed25519-cert.pub\n", "~/.ssh/id_ed25519-cert.pub"],
    ["GSSAPIAuthentication", "Host *\n    GSSAPIAuthentication yes\n", "yes"],
    ["PKCS11Provider", "Host h\n    PKCS11Provider /usr/lib/opensc-pkcs11.so\n", "/usr/lib/opensc-pkcs11.so"],
    ["CanonicalizeHostname", "CanonicalizeHostname yes\nCanonicalDomains example.org\n", "yes"],
  ])("%s", (option, text, value) => {
    const error = refused(text);
    expect(error.kind).toBe("config");
    expect(error.message).toBe(`ssh_config asks for ${option}, which the built-in SSH client (ssh2) cannot do`);
    expect(error.context[option]).toBe(value);
    expect(error.context.hint).toBe('set ssh_client = "openssh" for this host or the environment: the system\'s OpenSSH does this');
    expect(error.context.host).toBe("h");
    expect(String(error.context.file)).toStartWith(root);
  });

  test("Match exec that applies is refused without running its command; one for other hosts is no problem", () => {
    const marker = join(root, `ran-${process.pid}`);
    const text = `Match host h exec "touch ${marker}"\n    User viaexec\nMatch host other exec "touch ${marker}"\n    Port 1\nHost *\n    User plain\n`;
    const error = refused(text);
    expect(error.message).toBe("ssh_config asks for Match exec, which the built-in SSH client (ssh2) cannot do");
    expect(error.context["Match exec"]).toBe(`touch ${marker}`);
    expect(resolveSshSettings("elsewhere", { configFile: config(text), home })).toMatchObject({ user: "plain", port: 22 });
    expect(existsSync(marker)).toBe(false);
  });

  test("the same options set to none or no are fine", () => {
    const text = "Host h\n    CertificateFile none\n    GSSAPIAuthentication no\n    PKCS11Provider none\n    CanonicalizeHostname no\n";
    expect(resolveSshSettings("h", { configFile: config(text), home }).hostName).toBe("h");
  });
});
