import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BATOU, component, deploy, makeProject, cleanupProjects } from "./helpers.ts";

afterAll(cleanupProjects);

setDefaultTimeout(120_000);

const sha256 = (data: string | Uint8Array) => new Bun.CryptoHasher("sha256").update(data).digest("hex");

describe("Download", () => {
  let server: ReturnType<typeof Bun.serve>;
  let hits = 0;
  const body = "payload ".repeat(50_000);
  beforeAll(() => {
    server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch(request) {
        hits++;
        const path = new URL(request.url).pathname;
        if (path === "/files/tool.bin") return new Response(body);
        if (path === "/redirect") return Response.redirect("/files/tool.bin", 302);
        return new Response("not here", { status: 404 });
      },
    });
  });
  afterAll(() => server.stop(true));
  const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;

  const project = (options: string) =>
    makeProject(
      { "components/dl/component.ts": component(`export class Dl extends Component { configure() { this.add(new Download(${options})); } }`, "Component, Download") },
      ["dl"],
    );

  test("downloads once, verifies offline, -P changes nothing, re-downloads a changed file", async () => {
    const p = project(`${JSON.stringify(url("/files/tool.bin"))}, { checksum: "sha256:${sha256(body)}" }`);
    const target = join(p.work("dl"), "tool.bin");
    const predicted = await deploy(p, { predict: true });
    expect(predicted.summary.changed).toBe(1);
    expect(hits).toBe(0);
    const first = await deploy(p);
    expect(first.code).toBe(0);
    expect(readFileSync(target, "utf8")).toBe(body);
    expect(hits).toBe(1);
    const second = await deploy(p);
    expect(second.summary.changed).toBe(0);
    expect(hits).toBe(1);
    writeFileSync(target, "tampered");
    expect((await deploy(p)).summary.changed).toBe(1);
    expect(readFileSync(target, "utf8")).toBe(body);
    expect(readdirSync(p.work("dl")).filter((name) => name.includes("batou-download"))).toEqual([]);
  });

  test("follows redirects into an explicit target", async () => {
    const p = project(`${JSON.stringify(url("/redirect"))}, { target: "renamed.bin", checksum: "sha256:${sha256(body)}" }`);
    expect((await deploy(p)).code).toBe(0);
    expect(readFileSync(join(p.work("dl"), "renamed.bin"), "utf8")).toBe(body);
  });

  test("a checksum mismatch is an error naming url, expected and got, and leaves no file", async () => {
    const wrong = "0".repeat(64);
    const p = project(`${JSON.stringify(url("/files/tool.bin"))}, { checksum: "sha256:${wrong}" }`);
    const result = await deploy(p);
    expect(result.code).not.toBe(0);
    const error = result.errors.find((e) => e.message === "checksum mismatch")!;
    expect(error.context.url).toBe(url("/files/tool.bin"));
    expect(error.context.expected).toBe(`sha256:${wrong}`);
    expect(error.context.got).toBe(`sha256:${sha256(body)}`);
    expect(error.context.component).toContain("Download(");
    expect(readdirSync(p.work("dl"))).toEqual([]);
    expect(result.stdout + result.stderr).not.toContain("    at ");
  });

  test("HTTP errors and a missing checksum are reported", async () => {
    const missing = project(`${JSON.stringify(url("/nope.bin"))}, { checksum: "sha256:${"1".repeat(64)}" }`);
    const result = await deploy(missing);
    expect(JSON.stringify(result.errors)).toContain("HTTP 404");
    expect(readdirSync(missing.work("dl"))).toEqual([]);
    const noChecksum = project(`${JSON.stringify(url("/files/tool.bin"))}, {} as any`);
    expect(JSON.stringify((await deploy(noChecksum)).errors)).toContain('needs a checksum like \\"sha256:HEX\\"');
  });
});

describe("Extract", () => {
  const source = mkdtempSync(join(tmpdir(), "batou-archives-"));
  beforeAll(() => {
    mkdirSync(join(source, "pkg-1.0/bin"), { recursive: true });
    writeFileSync(join(source, "pkg-1.0/README"), "readme\n");
    writeFileSync(join(source, "pkg-1.0/bin/tool"), "#!/bin/sh\necho tool\n", { mode: 0o755 });
    const run = (cmd: string) => {
      const r = Bun.spawnSync(["sh", "-c", cmd], { cwd: source });
      if (r.exitCode !== 0) throw new Error(`${cmd}: ${r.stderr}`);
    };
    run("tar -cf pkg.tar pkg-1.0 && tar -czf pkg.tar.gz pkg-1.0 && tar -cjf pkg.tar.bz2 pkg-1.0 && tar -cJf pkg.tar.xz pkg-1.0 && zip -qr pkg.zip pkg-1.0");
  });
  afterAll(() => rmSync(source, { recursive: true, force: true }));

  for (const suffix of ["tar", "tar.gz", "tar.bz2", "tar.xz", "zip"]) {
    test(`${suffix}: extracts with stripComponents, idempotent, re-extracts when files go missing`, async () => {
      const p = makeProject(
        {
          "components/x/component.ts": component(
            `export class X extends Component { configure() {
  this.add(new Extract(${JSON.stringify(join(source, `pkg.${suffix}`))}, { target: "app", stripComponents: 1 }));
  this.add(new Extract(${JSON.stringify(join(source, `pkg.${suffix}`))}, { target: "full" }));
} }`,
            "Component, Extract",
          ),
        },
        ["x"],
      );
      const work = p.work("x");
      const predicted = await deploy(p, { predict: true });
      expect(predicted.summary.changed).toBe(2);
      expect(predicted.logs.join("\n")).toContain("bin/tool");
      expect(existsSync(join(work, "app"))).toBe(false);
      const first = await deploy(p);
      expect(first.code).toBe(0);
      expect(readFileSync(join(work, "app/bin/tool"), "utf8")).toContain("echo tool");
      expect(readFileSync(join(work, "full/pkg-1.0/README"), "utf8")).toBe("readme\n");
      expect((await deploy(p)).summary.changed).toBe(0);
      rmSync(join(work, "app/README"));
      expect((await deploy(p)).summary.changed).toBe(1);
      expect(existsSync(join(work, "app/README"))).toBe(true);
      expect((await deploy(p)).summary.changed).toBe(0);
    });
  }

  test("a Download followed by an Extract of it: -P predicts both, deploys once", async () => {
    const archive = readFileSync(join(source, "pkg.tar.gz"));
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response(archive) });
    try {
      const p = makeProject(
        {
          "components/x/component.ts": component(
            `export class X extends Component { configure() {
  const download = this.add(new Download("http://127.0.0.1:${server.port}/pkg.tar.gz", { checksum: "sha256:${sha256(archive)}" }));
  this.add(new Extract(download.target!, { target: "pkg", stripComponents: 1 }));
} }`,
            "Component, Download, Extract",
          ),
        },
        ["x"],
      );
      const predicted = await deploy(p, { predict: true });
      expect(predicted.code).toBe(0);
      expect(predicted.summary.changed).toBe(2);
      expect(predicted.logs.join("\n")).toContain("once it exists");
      expect((await deploy(p)).summary.changed).toBe(2);
      expect(existsSync(join(p.work("x"), "pkg/bin/tool"))).toBe(true);
      expect((await deploy(p)).summary.changed).toBe(0);
    } finally {
      server.stop(true);
    }
  });

  test("a changed archive is extracted again; errors in text mode show no stack trace", async () => {
    const p = makeProject(
      { "components/x/component.ts": component(`export class X extends Component { configure() { this.add(new Extract("data.tar.gz")); } }`, "Component, Extract") },
      ["x"],
    );
    const work = p.work("x");
    mkdirSync(join(work, "src/data"), { recursive: true });
    writeFileSync(join(work, "src/data/one"), "1\n");
    Bun.spawnSync(["tar", "-czf", "../data.tar.gz", "data"], { cwd: join(work, "src") });
    expect((await deploy(p)).summary.changed).toBe(1);
    expect(readFileSync(join(work, "data/data/one"), "utf8")).toBe("1\n");
    expect((await deploy(p)).summary.changed).toBe(0);
    writeFileSync(join(work, "src/data/two"), "2\n");
    Bun.spawnSync(["tar", "-czf", "../data.tar.gz", "data"], { cwd: join(work, "src") });
    expect((await deploy(p, { predict: true })).logs.join("\n")).toContain("data/two");
    expect((await deploy(p)).summary.changed).toBe(1);
    expect(readFileSync(join(work, "data/data/two"), "utf8")).toBe("2\n");
    expect((await deploy(p)).summary.changed).toBe(0);

    writeFileSync(join(work, "data.tar.gz"), "not an archive");
    const text = Bun.spawnSync(["bun", BATOU, "deploy", "local"], { cwd: p.dir });
    const output = text.stdout.toString() + text.stderr.toString();
    expect(text.exitCode).not.toBe(0);
    expect(output).toContain("Extract('data.tar.gz')");
    expect(output).toContain("data.tar.gz");
    expect(output).not.toMatch(/^\s+at /m);
  });

  test("an unknown archive type is a configuration error", async () => {
    const p = makeProject(
      { "components/x/component.ts": component(`export class X extends Component { configure() { this.add(new Extract("a.rar")); } }`, "Component, Extract") },
      ["x"],
    );
    expect(JSON.stringify((await deploy(p)).errors)).toContain("unknown archive type");
  });
});
