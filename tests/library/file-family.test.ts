/**
 * The file family as Python batou users rely on it (its test cases, in our own
 * words): bytes copied exactly, paths relative to the workdir, Mode on
 * symlinks, Presence, the File facade's `ensure`, text encodings, JSON/YAML
 * sources that are implicit or appear during the deployment,
 * `Directory.lastUpdated()`, and the errors a user meets.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { appProject, cleanupProjects, component, deploy, makeProject } from "./helpers.ts";

afterAll(cleanupProjects);

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe, 0xc3, 0x28]);
const mode = (path: string) => statSync(path).mode & 0o7777;
const errorText = (result: { errors: object[] }) => JSON.stringify(result.errors);

describe("bytes and paths", () => {
  test("a non-template source is copied byte for byte; its change is reported as binary", async () => {
    const p = appProject(`this.add(new File("logo.png", { source: "logo.png", template: false }));`, "File");
    writeFileSync(join(p.dir, "components/app/logo.png"), PNG);
    const predicted = await deploy(p, { predict: true });
    expect(predicted.diffs).toMatchObject([{ note: "binary content changed" }]);
    expect((await deploy(p)).code).toBe(0);
    expect(new Uint8Array(readFileSync(join(p.work("app"), "logo.png")))).toEqual(PNG);
    expect((await deploy(p)).summary.changed).toBe(0);
  });

  test("content given as a Uint8Array is written as it is", async () => {
    const p = appProject(`this.add(new File("blob", { content: new Uint8Array([${[...PNG].join(", ")}]) }));`, "File");
    expect((await deploy(p)).code).toBe(0);
    expect(new Uint8Array(readFileSync(join(p.work("app"), "blob")))).toEqual(PNG);
    expect((await deploy(p)).summary.changed).toBe(0);
  });

  test.each([
    ["Content", `this.add(new Content("relative.txt", { data: "hi\\n" }));`, "Content"],
    ["Presence", `this.add(new Presence("relative.txt"));`, "Presence"],
    ["JSONContent", `this.add(new JSONContent("relative.txt", { data: 1 }));`, "JSONContent"],
  ])("new %s('relative.txt') writes into the workdir", async (_name, body, imports) => {
    const p = appProject(body, imports);
    expect((await deploy(p)).code).toBe(0);
    expect(existsSync(join(p.work("app"), "relative.txt"))).toBe(true);
    expect(existsSync(join(p.dir, "relative.txt"))).toBe(false);
  });

  test("a File whose folder does not exist is an error naming the folder, not a temporary file", async () => {
    const p = appProject(`this.add(new File("no/such/x.conf", { content: "x\\n" }));`, "File");
    const result = await deploy(p);
    expect(result.code).toBe(1);
    expect(errorText(result)).toContain(`directory ${join(p.work("app"), "no/such")} does not exist (add a Directory or use leadingDirs: true)`);
    expect(errorText(result)).not.toContain(".batou-");
    expect(errorText(result)).not.toContain("ENOENT");
    expect((await deploy(p, { predict: true })).code).toBe(0); // an earlier component may create it
  });
});

describe("Mode", () => {
  test("a change is logged with the old and the new mode", async () => {
    const p = appProject(`this.add(new File("run.sh", { content: "#!/bin/sh\\n" }));\n    this.add(new Mode("run.sh", { mode: "rwxr-xr-x" }));`, "File, Mode");
    expect((await deploy(p)).code).toBe(0);
    chmodSync(join(p.work("app"), "run.sh"), 0o600);
    const predicted = await deploy(p, { predict: true });
    expect(predicted.logs).toContain("mode 0600 → 0755");
    expect((await deploy(p)).changed).toEqual(["App > Mode('run.sh')", "App"]);
    expect(mode(join(p.work("app"), "run.sh"))).toBe(0o755);
  });

  test("on a symlink it does nothing, on every deploy; the link's target keeps its mode", async () => {
    const p = appProject(`this.add(new Mode("link", { mode: 0o600 }));`, "Mode");
    mkdirSync(p.work("app"), { recursive: true });
    writeFileSync(join(p.work("app"), "target"), "x", { mode: 0o644 });
    symlinkSync("target", join(p.work("app"), "link"));
    for (let i = 0; i < 2; i++) expect((await deploy(p)).summary.changed).toBe(0);
    expect(mode(join(p.work("app"), "target"))).toBe(0o644);
  });

  test.each([
    ["without a mode", `new Mode("x", {} as { mode: number })`, "needs a mode"],
    ["with an invalid mode", `new Mode("x", { mode: "rwxrwxrwz" })`, 'invalid mode \\"rwxrwxrwz\\"'],
  ])("%s is a configuration error", async (_name, expression, message) => {
    const result = await deploy(appProject(`this.add(${expression});`, "Mode"));
    expect(result.code).toBe(1);
    expect(errorText(result)).toContain(message);
  });

  test("a File's mode is applied with its content (a new secret file is never readable by others)", async () => {
    const p = appProject(`this.add(new File("key.pem", { content: "secret\\n", mode: 0o600 }));`, "File");
    mkdirSync(p.work("app"), { recursive: true });
    writeFileSync(join(p.work("app"), "key.pem"), "old\n", { mode: 0o644 });
    const result = await deploy(p);
    expect(result.changed).toEqual(["App > File('key.pem') > Content('key.pem')", "App > File('key.pem')", "App"]);
    expect(mode(join(p.work("app"), "key.pem"))).toBe(0o600);
    chmodSync(join(p.work("app"), "key.pem"), 0o640);
    expect((await deploy(p)).logs).toContain("mode 0640 → 0600");
    expect(mode(join(p.work("app"), "key.pem"))).toBe(0o600);
  });
});

describe("Presence", () => {
  test("creates an empty file; keeps an existing file's content; replaces a symlink; leadingDirs", async () => {
    const p = appProject(`this.add(new Presence("a"));\n    this.add(new Presence("b"));\n    this.add(new Presence("c"));\n    this.add(new Presence("d/e/f", { leadingDirs: true }));`, "Presence");
    const work = p.work("app");
    mkdirSync(work, { recursive: true });
    writeFileSync(join(work, "b"), "kept\n");
    writeFileSync(join(work, "elsewhere"), "not touched\n");
    symlinkSync("elsewhere", join(work, "c"));
    const first = await deploy(p);
    expect(first.code).toBe(0);
    expect(readFileSync(join(work, "a"), "utf8")).toBe("");
    expect(readFileSync(join(work, "b"), "utf8")).toBe("kept\n");
    expect(lstatSync(join(work, "c")).isFile()).toBe(true);
    expect(readFileSync(join(work, "elsewhere"), "utf8")).toBe("not touched\n");
    expect(readFileSync(join(work, "d/e/f"), "utf8")).toBe("");
    expect((await deploy(p)).summary.changed).toBe(0);
  });

  test("a directory in the way is an error, never removed", async () => {
    const p = appProject(`this.add(new Presence("dir"));`, "Presence");
    mkdirSync(join(p.work("app"), "dir/inside"), { recursive: true });
    const result = await deploy(p);
    expect(result.code).toBe(1);
    expect(errorText(result)).toContain("is not a regular file");
    expect(existsSync(join(p.work("app"), "dir/inside"))).toBe(true);
  });
});

describe("File: the facade", () => {
  test("ensure: directory (with a source folder) and symlink (linkTo)", async () => {
    const p = appProject(
      `this.add(new File("static", { ensure: "directory", source: "assets" }));\n    this.add(new File("current", { ensure: "symlink", linkTo: "static" }));`,
      "File",
      { "components/app/assets/index.html": "<h1>hi</h1>\n" },
    );
    expect((await deploy(p)).code).toBe(0);
    expect(readFileSync(join(p.work("app"), "static/index.html"), "utf8")).toBe("<h1>hi</h1>\n");
    expect(readlinkSync(join(p.work("app"), "current"))).toBe("static");
    expect((await deploy(p)).summary.changed).toBe(0);
  });

  test.each([
    ["an unknown ensure", `{ ensure: "pipe" as "file" }`, 'ensure must be \\"file\\", \\"directory\\" or \\"symlink\\", not \\"pipe\\"'],
    ["a symlink without linkTo", `{ ensure: "symlink" }`, 'ensure: \\"symlink\\" needs linkTo'],
    ["linkTo on a file", `{ content: "", linkTo: "x" }`, 'linkTo needs ensure: \\"symlink\\"'],
    ["a symlink with a mode", `{ ensure: "symlink", linkTo: "x", mode: 0o644 }`, "a symlink has no mode of its own"],
    ["a directory with content", `{ ensure: "directory", content: "x" }`, "a directory has no content"],
    ["content and source", `{ content: "x", source: "y" }`, "has both content and source"],
    ["no content, no source, no file next to it", `{}`, "no file x next to the component"],
  ])("%s is a configuration error", async (_name, options, message) => {
    const result = await deploy(appProject(`this.add(new File("x", ${options}));`, "File"));
    expect(result.code).toBe(1);
    expect(errorText(result)).toContain(message);
  });
});

describe("encodings", () => {
  test.each([
    ["utf-8", "utf-8", [0x63, 0xc3, 0xb6, 0x72]],
    ["latin-1", "latin-1", [0x63, 0xf6, 0x72]],
    ["iso-8859-1", "iso-8859-1", [0x63, 0xf6, 0x72]],
  ])("content in %s", async (_name, encoding, bytes) => {
    const p = appProject(`this.add(new File("x", { content: "cör", encoding: "${encoding}" }));`, "File");
    expect((await deploy(p)).code).toBe(0);
    expect([...readFileSync(join(p.work("app"), "x"))]).toEqual(bytes);
    expect((await deploy(p)).summary.changed).toBe(0);
  });

  test("a latin-1 template source is read and written in latin-1", async () => {
    const p = appProject(`this.add(new File("motd", { source: "motd.j2", encoding: "latin-1", templateArgs: { who: "Jörg" } }));`, "File");
    writeFileSync(join(p.dir, "components/app/motd.j2"), new Uint8Array([0x47, 0x72, 0xfc, 0xdf, 0x20, ...new TextEncoder().encode("{{ args.who }}")]));
    expect((await deploy(p)).code).toBe(0);
    expect([...readFileSync(join(p.work("app"), "motd"))]).toEqual([0x47, 0x72, 0xfc, 0xdf, 0x20, 0x4a, 0xf6, 0x72, 0x67]);
  });

  test.each([
    ["text the encoding cannot represent", `{ content: "line 1\\nörks", encoding: "ascii" }`, 'cannot be written in ascii: U+00F6 \\"ö\\" at line 2, column 1', "work/app/out.txt"],
    ["an unknown encoding", `{ content: "x", encoding: "ebcdic" }`, 'unknown encoding \\"ebcdic\\"', "work/app/out.txt"],
    ["a template that is not UTF-8", `{ source: "bad.j2" }`, "is not valid utf-8 text", "components/app/bad.j2"],
  ])("%s is an error naming the file", async (_name, options, message, file) => {
    const p = appProject(`this.add(new File("out.txt", ${options}));`, "File", { "components/app/bad.j2": "" });
    writeFileSync(join(p.dir, "components/app/bad.j2"), new Uint8Array([0xff, 0xfe]));
    const result = await deploy(p);
    expect(result.code).toBe(1);
    expect(errorText(result)).toContain(message);
    expect(errorText(result)).toContain(join(p.dir, file));
  });
});

describe("JSONContent and YAMLContent sources", () => {
  test.each([
    ["JSONContent", "config.json", '{"a": 1}', '{\n    "a": 1\n}\n'],
    ["YAMLContent", "config.yaml", "a: 1\n", "a: 1\n"],
  ])("%s without data or source reads the file of the same name next to component.ts", async (name, file, source, written) => {
    const p = appProject(`this.add(new ${name}("${file}"));`, name, { [`components/app/${file}`]: source });
    expect((await deploy(p)).code).toBe(0);
    expect(readFileSync(join(p.work("app"), file), "utf8")).toBe(written);
  });

  test("a source written by an earlier component is read when deploying; -P says it would change", async () => {
    const p = appProject(
      `this.add(new File("base.json", { content: '{"port": 8080}' }));\n    this.add(new JSONContent("app.json", { source: this.map("base.json"), override: { debug: false } }));`,
      "File, JSONContent",
    );
    const predicted = await deploy(p, { predict: true });
    expect(predicted.code).toBe(0);
    expect(predicted.changed).toContain("App > JSONContent('app.json')");
    expect(predicted.logs.join("\n")).toContain(`source file ${join(p.work("app"), "base.json")} does not exist yet; it is read when deploying`);
    expect((await deploy(p)).code).toBe(0);
    expect(readFileSync(join(p.work("app"), "app.json"), "utf8")).toBe('{\n    "debug": false,\n    "port": 8080\n}\n');
    expect((await deploy(p)).summary.changed).toBe(0);
  });

  test("a source that never appears is an error when deploying", async () => {
    const p = appProject(`this.add(new YAMLContent("app.yaml", { source: "/nonexistent/base.yaml" }));`, "YAMLContent");
    const result = await deploy(p);
    expect(result.code).toBe(1);
    expect(errorText(result)).toContain("source file not found: /nonexistent/base.yaml");
  });
});

describe("Directory.lastUpdated()", () => {
  test("is the newest file inside, so assertComponentIsCurrent rebuilds when a file in it is newer", async () => {
    const p = makeProject(
      {
        "components/site/component.ts": component(
          `export class Site extends Component {
  configure() {
    this.add(new Directory("src"));
    this.add(new Presence("built"));
  }
  async verify() {
    this.subComponents[1]!.assertComponentIsCurrent(this.subComponents[0]!);
  }
  async update() {
    this.touch("built");
    this.log("rebuilt");
  }
}`,
          "Component, Directory, Presence",
        ),
      },
      ["site"],
    );
    const work = p.work("site");
    expect((await deploy(p)).code).toBe(0);
    expect((await deploy(p)).logs).not.toContain("rebuilt");
    mkdirSync(join(work, "src/deep"), { recursive: true });
    writeFileSync(join(work, "src/deep/page.html"), "x");
    const past = new Date(Date.now() - 60_000);
    utimesSync(join(work, "built"), past, past);
    expect((await deploy(p)).logs).toContain("rebuilt");
    expect((await deploy(p)).logs).not.toContain("rebuilt");
  });
});

describe("Directory with source", () => {
  test("a source file changed within the same second, to the same size, is synced (mtimes compared to the nanosecond)", async () => {
    const p = appProject(`this.add(new Directory("app", { source: "app" }));`, "Directory", { "components/app/app/package.json": '{"v": "1.0.0"}\n' });
    const source = join(p.dir, "components/app/app/package.json");
    const second = new Date(Math.floor(Date.now() / 1000) * 1000);
    utimesSync(source, second, second);
    expect((await deploy(p)).code).toBe(0);
    writeFileSync(source, '{"v": "2.0.0"}\n');
    const later = new Date(second.getTime() + 500);
    utimesSync(source, later, later);
    expect((await deploy(p)).summary.changed).toBeGreaterThan(0);
    expect(readFileSync(join(p.work("app"), "app/package.json"), "utf8")).toBe('{"v": "2.0.0"}\n');
  });
});
