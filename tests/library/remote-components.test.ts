/**
 * The second round of library components over SSH, on a test bed host as its
 * service user (not root): -P on an empty host predicts without failing and
 * creates nothing, the deploy does the work (checked from outside with the
 * real programs), and a second deploy changes nothing.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Testbed, startTestbed, testbedAvailability } from "../testbed/testbed.ts";
import { deploy, makeProject, type Project } from "../remote/remote-helpers.ts";

setDefaultTimeout(180_000);

const bed = testbedAvailability();
const have = (cmd: string) => Bun.spawnSync(["sh", "-c", `command -v ${cmd}`]).exitCode === 0;

/** uid of the test bed's service user. */
const SERVICE_UID = 2001;

describe.skipIf(!bed.ok || !["htpasswd", "openssl", "python3"].every(have))("library components over SSH as the service user", () => {
  let tb: Testbed;
  let p: Project;
  const target = `t-library2-${process.pid}`;
  let home: string;
  const work = (root: string) => join(home, target, "work", root);
  const httpPort = 20000 + (process.pid % 20000);

  beforeAll(async () => {
    tb = await startTestbed(1);
    home = join(tb.roots.host1!, "home/service");
    const env = `[environment]\ntarget_directory = "${target}"\nservice_user = "service"\ntimeout = 60\n[hosts.host1]\ncomponents = ["web"]\n`;
    p = makeProject(tb, {
      "environments/bed.toml": env,
      "components/web/component.ts": `import { Certificate, Command, Component, File, HTTPCheck, Htpasswd } from "batou";
export class Web extends Component {
  configure() {
    this.add(new Htpasswd("htpasswd", { users: { alice: "al1ce-remote-pw" }, cost: 5 }));
    this.add(new Certificate("tls.crt", { commonName: "host1", altNames: ["127.0.0.1"], keyType: "ec:prime256v1" }));
    this.add(new File("htdocs/health", { content: "ok\\n", leadingDirs: true }));
    // a "service" the deploy starts, and the check that waits for it
    this.add(new Command("nohup python3 -m http.server ${httpPort} --bind 127.0.0.1 --directory htdocs >server.log 2>&1 & echo $! > server.pid", {
      unless: "test -f server.pid && kill -0 $(cat server.pid)",
    }));
    this.add(new HTTPCheck("http://127.0.0.1:${httpPort}/health", { timeout: 30, contains: "ok" }));
  }
}
`,
    });
  }, 60_000);

  afterAll(() => {
    const pidfile = join(work("web"), "server.pid");
    if (existsSync(pidfile)) Bun.spawnSync(["kill", readFileSync(pidfile, "utf8").trim()]);
    p?.remove();
    Bun.spawnSync(["rm", "-rf", join(home, target)]);
  });

  test("-P on an empty host, then the deploy, then a second deploy that changes nothing", async () => {
    const predicted = await deploy(p, "bed", ["-P"]);
    expect(predicted.errors).toEqual([]);
    expect(predicted.code).toBe(0);
    expect(existsSync(join(home, target, "work"))).toBe(false);
    const logs = predicted.events.filter((e) => e.event === "log").map((e) => e.message as string);
    expect(logs).toContain(`/home/service/${target}/work/web/htpasswd: add alice`);
    expect(logs.some((line) => line.startsWith(`/home/service/${target}/work/web/tls.crt: no key yet;`))).toBe(true);
    expect(logs.some((line) => line.startsWith(`would wait up to 30 s for http://127.0.0.1:${httpPort}/health`))).toBe(true);

    const first = await deploy(p, "bed");
    expect(first.errors).toEqual([]);
    expect(first.code).toBe(0);
    expect(first.stdout + first.stderr).not.toContain("al1ce-remote-pw");
    const htpasswd = join(work("web"), "htpasswd");
    expect(Bun.spawnSync(["htpasswd", "-v", "-b", htpasswd, "alice", "al1ce-remote-pw"], { stderr: "pipe" }).exitCode).toBe(0);
    const { statSync } = await import("node:fs");
    expect(statSync(htpasswd).uid).toBe(SERVICE_UID);
    const crt = join(work("web"), "tls.crt");
    expect(Bun.spawnSync(["openssl", "x509", "-in", crt, "-noout", "-subject"]).stdout.toString()).toBe("subject=CN = host1\n");
    expect(statSync(join(work("web"), "tls.key")).uid).toBe(SERVICE_UID);

    const second = await deploy(p, "bed");
    expect(second.errors).toEqual([]);
    expect(second.summary?.changed).toBe(0);
  });
});
