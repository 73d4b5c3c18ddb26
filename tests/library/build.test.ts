/**
 * `Build` (batou's cmmi) with a tiny autotools-style project (a hand-written
 * configure script, a C program built by gcc with make), downloaded from a
 * loopback HTTP server: configured, built and installed once; again only when
 * the archive or an argument changes; a failing step names itself.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupProjects, deploy, makeProject, scratchDir, type Project } from "./helpers.ts";
import { sourceArchive } from "./library2-fixtures.ts";

afterAll(cleanupProjects);
setDefaultTimeout(120_000);

const have = (cmd: string) => Bun.spawnSync(["sh", "-c", `command -v ${cmd}`]).exitCode === 0;

describe.skipIf(!["gcc", "make", "tar"].every(have))("Build (configure, make, make install)", () => {
  let server: ReturnType<typeof Bun.serve>;
  let dir: string;
  beforeAll(() => {
    dir = scratchDir("batou-build-src-");
    server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (request) => new Response(Bun.file(join(dir, new URL(request.url).pathname.slice(1)))) });
  });
  afterAll(() => server.stop(true));

  const body = (version: string, checksum: string, options: string) =>
    `import { Build, Component } from "batou";\nexport class Tool extends Component {\n  configure() {\n    this.add(new Build("http://127.0.0.1:${server.port}/hello-${version}.tar.gz", { checksum: "sha256:${checksum}", ${options} }));\n  }\n}\n`;

  test("downloads, checks, configures with the prefix, builds and installs once; again when the arguments or the archive change", async () => {
    const one = sourceArchive(dir, "1.0");
    const p: Project = makeProject({ "components/tool/component.ts": body("1.0", one.checksum, `configure: "--greeting=hi", make: "hello"`) }, ["tool"]);
    const work = p.work("tool");
    const runs = () => (existsSync(join(work, "configure-runs")) ? readFileSync(join(work, "configure-runs"), "utf8").split("\n").length - 1 : 0);
    const hello = () => Bun.spawnSync([join(work, "bin/hello")]).stdout.toString();

    const predicted = await deploy(p, { predict: true });
    expect(predicted.errors).toEqual([]);
    expect(predicted.logs).toContain(`build in ${join(work, "hello-1.0")} (not built yet): ./configure --prefix=${work} --greeting=hi; make hello; make install`);
    expect(existsSync(work)).toBe(false);

    const first = await deploy(p);
    expect(first.errors).toEqual([]);
    expect(hello()).toBe("hi from 1.0\n");
    expect(runs()).toBe(1);
    expect(first.changed).toContain("Tool > Build('hello-1.0.tar.gz')");

    const second = await deploy(p);
    expect(second.changed).toEqual([]);
    expect(runs()).toBe(1);

    p.write("components/tool/component.ts", body("1.0", one.checksum, `configure: "--greeting=moin", make: "hello"`));
    const changed = await deploy(p);
    expect(changed.logs).toEqual([`build in ${join(work, "hello-1.0")} (configure changed): ./configure --prefix=${work} --greeting=moin; make hello; make install`]);
    expect(runs()).toBe(2);
    expect(hello()).toBe("moin from 1.0\n");

    const two = sourceArchive(dir, "2.0");
    p.write("components/tool/component.ts", body("2.0", two.checksum, `configure: "--greeting=moin", make: "hello", prefix: "opt"`));
    expect((await deploy(p)).errors).toEqual([]);
    expect(Bun.spawnSync([join(work, "opt/bin/hello")]).stdout.toString()).toBe("moin from 2.0\n");
    expect((await deploy(p)).changed).toEqual([]);
  });

  test("a failing configure is an error with its output; nothing is marked built", async () => {
    const one = sourceArchive(dir, "1.1");
    const p = makeProject({ "components/tool/component.ts": body("1.1", one.checksum, `configure: "--no-such-option"`) }, ["tool"]);
    const run = await deploy(p);
    expect(run.errors[0]?.message).toBe(`configure failed in ${join(p.work("tool"), "hello-1.1")}`);
    expect(run.errors[0]?.context).toMatchObject({ component: "Tool > Build('hello-1.1.tar.gz')", output: "configure: unknown option --no-such-option" });
    expect(existsSync(join(p.work("tool"), "hello-1.1/.batou-build.json"))).toBe(false);
    const url = makeProject({ "components/tool/component.ts": `import { Build, Component } from "batou";\nexport class Tool extends Component { configure() { this.add(new Build("http://127.0.0.1:9/x-1.tar.gz")); } }\n` }, ["tool"]);
    expect((await deploy(url)).errors[0]?.message).toBe("a Build from a URL needs a checksum");
  });
});
