import { afterAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { component, deploy, makeProject, cleanupProjects } from "./helpers.ts";

afterAll(cleanupProjects);

setDefaultTimeout(120_000);

describe("Purge", () => {
  test("removes files, folders and broken symlinks matching; idempotent; -P changes nothing", async () => {
    const p = makeProject(
      {
        "components/app/component.ts": component(
          `export class App extends Component { configure() { this.add(new Purge("cache/*.tmp")); this.add(new Purge("old")); } }`,
          "Component, Purge",
        ),
      },
      ["app"],
    );
    const work = p.work("app");
    mkdirSync(join(work, "cache/dir.tmp/sub"), { recursive: true });
    writeFileSync(join(work, "cache/a.tmp"), "x");
    writeFileSync(join(work, "cache/.hidden.tmp"), "x");
    writeFileSync(join(work, "cache/keep.txt"), "x");
    symlinkSync("/nonexistent", join(work, "cache/broken.tmp"));
    mkdirSync(join(work, "old/x"), { recursive: true });
    const predicted = await deploy(p, { predict: true });
    expect(predicted.code).toBe(0);
    expect(predicted.logs.join("\n")).toContain("would remove 3 path(s)");
    expect(existsSync(join(work, "cache/a.tmp"))).toBe(true);
    const first = await deploy(p);
    expect(first.summary.changed).toBe(2);
    expect(existsSync(join(work, "cache/a.tmp"))).toBe(false);
    expect(existsSync(join(work, "cache/dir.tmp"))).toBe(false);
    expect(existsSync(join(work, "old"))).toBe(false);
    expect(existsSync(join(work, "cache/keep.txt"))).toBe(true);
    expect(existsSync(join(work, "cache/.hidden.tmp"))).toBe(true);
    expect((await deploy(p)).summary.changed).toBe(0);
  });

  test("a symlink to a folder is unlinked, the folder kept", async () => {
    const p = makeProject(
      { "components/app/component.ts": component(`export class App extends Component { configure() { this.add(new Purge("link*")); } }`, "Component, Purge") },
      ["app"],
    );
    const work = p.work("app");
    mkdirSync(join(work, "real"), { recursive: true });
    writeFileSync(join(work, "real/f"), "x");
    symlinkSync(join(work, "real"), join(work, "link"));
    expect((await deploy(p)).summary.changed).toBe(1);
    expect(existsSync(join(work, "real/f"))).toBe(true);
  });

  test("refuses a pattern matching top-level folders", async () => {
    const p = makeProject(
      { "components/app/component.ts": component(`export class App extends Component { configure() { this.add(new Purge("/*")); } }`, "Component, Purge") },
      ["app"],
    );
    const result = await deploy(p);
    expect(result.code).not.toBe(0);
    expect(JSON.stringify(result.errors)).toContain("refusing");
  });
});

describe("Directory with source", () => {
  const project = () =>
    makeProject(
      {
        "components/site/component.ts": component(
          `export class Site extends Component {
  configure() { this.add(new Directory("htdocs/current", { source: "static", exclude: ["*.map", "uploads"], leadingDirs: true, mode: 0o750 })); }
}`,
          "Component, Directory",
        ),
        "components/site/static/index.html": "<h1>hi</h1>\n",
        "components/site/static/app.js": "x()\n",
        "components/site/static/app.js.map": "{}\n",
        "components/site/static/css/site.css": "body{}\n",
      },
      ["site"],
    );

  test("syncs new and changed files, deletes extras, keeps excluded, mode; idempotent", async () => {
    const p = project();
    const target = join(p.work("site"), "htdocs/current");
    const predicted = await deploy(p, { predict: true });
    expect(predicted.code).toBe(0);
    expect(predicted.logs.join("\n")).toContain("index.html");
    expect(existsSync(target)).toBe(false);

    const first = await deploy(p);
    expect(first.code).toBe(0);
    expect(readFileSync(join(target, "css/site.css"), "utf8")).toBe("body{}\n");
    expect(existsSync(join(target, "app.js.map"))).toBe(false);
    expect(statSync(target).mode & 0o777).toBe(0o750);
    expect((await deploy(p)).summary.changed).toBe(0);

    // changes in the source and in the target
    writeFileSync(join(p.dir, "components/site/static/index.html"), "<h1>new</h1>\n");
    writeFileSync(join(target, "extra.txt"), "x");
    mkdirSync(join(target, "uploads"));
    writeFileSync(join(target, "uploads/u.png"), "x");
    chmodSync(target, 0o700);
    const predicted2 = await deploy(p, { predict: true });
    expect(predicted2.logs.join("\n")).toMatch(/deleting +extra.txt/);
    expect(existsSync(join(target, "extra.txt"))).toBe(true);
    const second = await deploy(p);
    expect(second.summary.changed).toBe(1);
    expect(readFileSync(join(target, "index.html"), "utf8")).toBe("<h1>new</h1>\n");
    expect(existsSync(join(target, "extra.txt"))).toBe(false);
    expect(existsSync(join(target, "uploads/u.png"))).toBe(true);
    expect(statSync(target).mode & 0o777).toBe(0o750);
    expect((await deploy(p)).summary.changed).toBe(0);
  });

  test("deleteExtraneous: false keeps files that are not in the source (batou's Directory and SyncDirectory); idempotent", async () => {
    const p = makeProject(
      {
        "components/site/component.ts": component(
          `export class Site extends Component { configure() { this.add(new Directory("htdocs", { source: "static", deleteExtraneous: false })); } }`,
          "Component, Directory",
        ),
        "components/site/static/index.html": "<h1>hi</h1>\n",
      },
      ["site"],
    );
    const target = join(p.work("site"), "htdocs");
    expect((await deploy(p)).errors).toEqual([]);
    writeFileSync(join(target, "upload.txt"), "kept\n");
    expect((await deploy(p)).summary.changed).toBe(0);
    writeFileSync(join(p.dir, "components/site/static/index.html"), "<h1>new</h1>\n");
    const changed = await deploy(p);
    expect(changed.summary.changed).toBe(1);
    expect(readFileSync(join(target, "index.html"), "utf8")).toBe("<h1>new</h1>\n");
    expect(readFileSync(join(target, "upload.txt"), "utf8")).toBe("kept\n");
  });

  test("a missing source folder is a configuration error naming it", async () => {
    const p = makeProject(
      { "components/site/component.ts": component(`export class Site extends Component { configure() { this.add(new Directory("x", { source: "nope" })); } }`, "Component, Directory") },
      ["site"],
    );
    const result = await deploy(p);
    expect(result.code).not.toBe(0);
    expect(JSON.stringify(result.errors)).toContain("source folder not found");
    expect(JSON.stringify(result.errors)).toContain("components/site/nope");
  });

  test("Directory with a mode is created and chmodded in one deploy", async () => {
    const p = makeProject(
      { "components/a/component.ts": component(`export class A extends Component { configure() { this.add(new Directory("d", { mode: "700" })); } }`, "Component, Directory") },
      ["a"],
    );
    expect((await deploy(p)).code).toBe(0);
    expect(statSync(join(p.work("a"), "d")).mode & 0o777).toBe(0o700);
    expect((await deploy(p)).summary.changed).toBe(0);
  });
});

describe("JSONContent and YAMLContent", () => {
  const files = (data: string) => ({
    "components/cfg/component.ts": component(
      `export class Cfg extends Component {
  data = ${data};
  configure() {
    this.add(new JSONContent("config.json", { source: "base.json", data: this.data, override: { z: { deep: true } } }));
    this.add(new YAMLContent("config.yaml", { source: "base.yaml", data: this.data }));
    this.add(new JSONContent("plain.json", { data: { b: [3, 1], a: "x" }, indent: 0 }));
  }
}`,
      "Component, JSONContent, YAMLContent",
    ),
    "components/cfg/base.json": JSON.stringify({ z: { keep: 1, deep: false }, list: [1, 2], a: 1 }),
    "components/cfg/base.yaml": "z:\n  keep: 1\nb: yes\n",
  });

  test("merges data over source, sorted keys, diff on change, idempotent", async () => {
    const p = makeProject(files(`{ port: 8080, a: 2, list: [9] }`), ["cfg"]);
    const first = await deploy(p);
    expect(first.code).toBe(0);
    const json = readFileSync(join(p.work("cfg"), "config.json"), "utf8");
    expect(json).toBe(
      '{\n    "a": 2,\n    "list": [\n        9\n    ],\n    "port": 8080,\n    "z": {\n        "deep": true,\n        "keep": 1\n    }\n}\n',
    );
    expect(readFileSync(join(p.work("cfg"), "config.yaml"), "utf8")).toBe("a: 2\nb: \"yes\"\nlist:\n  - 9\nport: 8080\nz:\n  keep: 1\n");
    expect(readFileSync(join(p.work("cfg"), "plain.json"), "utf8")).toBe('{"a":"x","b":[3,1]}\n');
    expect((await deploy(p)).summary.changed).toBe(0);

    writeFileSync(join(p.dir, "components/cfg/component.ts"), files(`{ port: 9090, a: 2, list: [9] }`)["components/cfg/component.ts"]);
    const predicted = await deploy(p, { predict: true });
    const diff = predicted.diffs.find((d) => d.path.endsWith("config.json"));
    expect(diff?.diff).toContain('-    "port": 8080,');
    expect(diff?.diff).toContain('+    "port": 9090,');
    expect(readFileSync(join(p.work("cfg"), "config.json"), "utf8")).toContain("8080");
    expect((await deploy(p)).summary.changed).toBe(2);
    expect((await deploy(p)).summary.changed).toBe(0);
  });

  test("an invalid source names the file", async () => {
    const p = makeProject({ ...files("{}"), "components/cfg/base.json": "{ nope" }, ["cfg"]);
    const result = await deploy(p);
    expect(result.code).not.toBe(0);
    expect(JSON.stringify(result.errors)).toContain("not valid JSON");
    expect(JSON.stringify(result.errors)).toContain("base.json");
  });
});

describe("Command", () => {
  test("creates: runs once; unless: runs while the check fails; -P runs nothing", async () => {
    const p = makeProject(
      {
        "components/step/component.ts": component(
          `export class Step extends Component {
  configure() {
    this.add(new Command("echo run >> log; touch done", { creates: "done" }));
    this.add(new Command("echo second >> log2", { unless: "grep -q second log2" }));
  }
}`,
          "Component, Command",
        ),
      },
      ["step"],
    );
    const work = p.work("step");
    mkdirSync(work, { recursive: true });
    writeFileSync(join(work, "log2"), "");
    const predicted = await deploy(p, { predict: true });
    expect(predicted.summary.changed).toBe(2);
    expect(existsSync(join(work, "done"))).toBe(false);
    expect((await deploy(p)).summary.changed).toBe(2);
    expect((await deploy(p)).summary.changed).toBe(0);
    expect(readFileSync(join(work, "log"), "utf8")).toBe("run\n");
    expect(readFileSync(join(work, "log2"), "utf8")).toBe("second\n");
    rmSync(join(work, "done"));
    expect((await deploy(p)).summary.changed).toBe(1);
  });

  test("errors: no creates/unless; a failing command; creates not created", async () => {
    const none = makeProject({ "components/s/component.ts": component(`export class S extends Component { configure() { this.add(new Command("true")); } }`, "Component, Command") }, ["s"]);
    expect(JSON.stringify((await deploy(none)).errors)).toContain("needs creates or unless");
    const failing = makeProject(
      { "components/s/component.ts": component(`export class S extends Component { configure() { this.add(new Command("echo oops >&2; exit 3", { creates: "x" })); } }`, "Component, Command") },
      ["s"],
    );
    const result = await deploy(failing);
    expect(result.code).not.toBe(0);
    expect(JSON.stringify(result.errors)).toContain("exit code 3");
    expect(JSON.stringify(result.errors)).toContain("oops");
    expect(JSON.stringify(result.errors)).toContain("Command(");
    const lazy = makeProject({ "components/s/component.ts": component(`export class S extends Component { configure() { this.add(new Command("true", { creates: "x" })); } }`, "Component, Command") }, ["s"]);
    expect(JSON.stringify((await deploy(lazy)).errors)).toContain("did not create");
  });
});
