/**
 * `-P` on an empty host: every command, VCS, archive, cron and service
 * component predicts its change in a work directory that does not exist yet,
 * without failing and without creating anything; then the deploy does what
 * was predicted and a second deploy changes nothing.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Testbed, startTestbed, testbedAvailability } from "../testbed/testbed.ts";
import { deploy as deployRemote, makeProject as makeRemoteProject, SSH_CLIENTS, sshClientSetting } from "../remote/remote-helpers.ts";
import { deploy, makeProject, cleanupProjects } from "./helpers.ts";
import { EMPTY_HOST_ROOTS, emptyHostProject, expectPrediction, fixtures, type Fixtures } from "./predict-fixtures.ts";

afterAll(cleanupProjects);

setDefaultTimeout(120_000);

const have = (cmd: string) => Bun.spawnSync(["sh", "-c", `command -v ${cmd}`]).exitCode === 0;
const ready = process.getuid?.() === 0 && ["git", "tar", "crontab", "supervisord"].every(have);
const CRON_USER = "batou-predicttest";

describe.skipIf(!ready)("-P on an empty host (locally)", () => {
  const scratch = mkdtempSync(join(tmpdir(), "batou-lib-predict-"));
  let fx: Fixtures;
  let server: ReturnType<typeof Bun.serve>;
  beforeAll(() => {
    fx = fixtures(scratch);
    server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response(readFileSync(fx.archive)) });
    if (Bun.spawnSync(["id", CRON_USER]).exitCode !== 0) Bun.spawnSync(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", CRON_USER]);
    Bun.spawnSync(["crontab", "-u", CRON_USER, "-r"]);
  });
  let supervisord = "";
  afterAll(() => {
    if (supervisord) Bun.spawnSync(["supervisorctl", "-c", supervisord, "shutdown"]);
    server.stop(true);
    Bun.spawnSync(["crontab", "-u", CRON_USER, "-r"]);
    rmSync(scratch, { recursive: true, force: true });
  });

  test("predicts every component without creating anything; the deploy then does it, once", async () => {
    const files = emptyHostProject(fx, { url: `http://127.0.0.1:${server.port}/pkg.tar.gz`, cronUser: CRON_USER });
    const p = makeProject(files, EMPTY_HOST_ROOTS);
    supervisord = join(p.work("supervisorroot"), "etc/supervisord.conf");
    const predicted = await deploy(p, { predict: true });
    expect(predicted.errors).toEqual([]);
    expect(predicted.code).toBe(0);
    for (const root of EMPTY_HOST_ROOTS) expect(existsSync(p.work(root))).toBe(false);
    expect(Bun.spawnSync(["crontab", "-u", CRON_USER, "-l"]).exitCode).not.toBe(0);
    expectPrediction(predicted, p.work);

    const first = await deploy(p);
    expect(first.errors).toEqual([]);
    expect(readFileSync(join(p.work("steps"), "data/.initialized"), "utf8")).toBe("");
    expect(readFileSync(join(p.work("checkouts"), "branch/README"), "utf8")).toBe("two\n");
    expect(readFileSync(join(p.work("checkouts"), "tag/README"), "utf8")).toBe("one\n");
    expect(existsSync(join(p.work("fetch"), "pkg/bin/tool"))).toBe(true);
    expect(existsSync(join(p.work("unpack"), "unpacked/pkg/bin/tool"))).toBe(true);
    expect(Bun.spawnSync(["crontab", "-u", CRON_USER, "-l"]).stdout.toString()).toContain("@daily bin/cleanup");
    expect(readFileSync(join(p.work("supervisorroot"), "etc/supervisor.d/sleeper.conf"), "utf8")).toContain("command = /bin/sleep 3600");
    const second = await deploy(p);
    expect(second.errors).toEqual([]);
    expect(second.changed).toEqual([]);
  });
});

const bed = testbedAvailability();

for (const client of SSH_CLIENTS) describe.skipIf(!bed.ok)(`-P on an empty host (over SSH with ${client}, as the service user)`, () => {
  let tb: Testbed;
  let scratch: string;
  let fx: Fixtures;
  beforeAll(async () => {
    tb = await startTestbed(1);
    // the shared folder is visible, read-only, at the same path inside every host
    scratch = mkdtempSync(join(tb.dir, "shared", "predict-"));
    fx = fixtures(scratch);
    // git serves a repository only to its owner (safe.directory): the service user's, as on a real host
    Bun.spawnSync(["chown", "-R", "2001", fx.upstream]);
  }, 60_000);
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  test("predicts every component in a target directory that does not exist yet, changing nothing", async () => {
    const target = `t-predict-${client}-${process.pid}`;
    // -P never fetches: the URL need not be reachable from the host
    const files = emptyHostProject(fx, { url: "http://127.0.0.1:9/pkg.tar.gz" });
    const env = `[environment]\ntarget_directory = "${target}"\nservice_user = "service"\ntimeout = 30\n${sshClientSetting(client)}\n[hosts.host1]\ncomponents = ${JSON.stringify(EMPTY_HOST_ROOTS)}\n`;
    const p = makeRemoteProject(tb, { ...files, "environments/fresh.toml": env });
    try {
      const predicted = await deployRemote(p, "fresh", ["-P"]);
      expect(predicted.errors).toEqual([]);
      expect(predicted.code).toBe(0);
      const work = (root: string) => `/home/service/${target}/work/${root}`;
      expect(existsSync(join(tb.roots.host1!, "home/service", target, "work"))).toBe(false);
      const logs = predicted.events.filter((e) => e.event === "log").map((e) => e.message as string);
      const changed = predicted.events.filter((e) => e.event === "component" && e.changed).map((e) => e.component as string);
      expectPrediction({ logs, changed, diffs: predicted.events.filter((e) => e.event === "diff") }, work);
    } finally {
      p.remove();
    }
  });
});
