/** `[vfs]` sandboxes and host features (batou's test_vfs and test_config cases, in our words). */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Component } from "../../lib/engine/component.ts";
import { sandboxMap } from "../../lib/engine/vfs.ts";
import { cleanupModels, model } from "../helpers/model.ts";

afterEach(cleanupModels);

describe("sandboxMap", () => {
  let base: string;
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  test("Developer: absolute paths move under work/_/, their parent is created, the rest stays", () => {
    base = mkdtempSync(join(tmpdir(), "batou-vfs-"));
    const map = sandboxMap({ sandbox: "Developer" }, base);
    expect(map("/etc")).toBe(join(base, "_/etc"));
    expect(existsSync(join(base, "_"))).toBe(true);
    expect(existsSync(join(base, "_/etc"))).toBe(false);
    expect(map("/var/lib/app/db")).toBe(join(base, "_/var/lib/app/db"));
    expect(existsSync(join(base, "_/var/lib/app"))).toBe(true);
    expect(map(join(base, "foo"))).toBe(join(base, "foo"));
    expect(map("asdf")).toBe("asdf");
  });

  test("Map: the longest matching prefix replaces whole path segments once", () => {
    base = mkdtempSync(join(tmpdir(), "batou-vfs-"));
    const map = sandboxMap({ sandbox: "Map", rules: [["/a", "/a1"], ["/a/b", "/a2"]] }, base);
    expect(map("/etc")).toBe("/etc");
    expect(map("/a")).toBe("/a1");
    expect(map("/a/b/c")).toBe("/a2/c");
    expect(map("/a/c")).toBe("/a1/c");
    expect(map("/ab")).toBe("/ab");
    expect(map(join(base, "foo"))).toBe(join(base, "foo"));
  });
});

class Paths extends Component {
  configure() {}
}

class Zeo extends Component {
  features = ["test", "test2"];
}

describe("in the model", () => {
  test("this.map() goes through the sandbox; relative paths stay in the workdir", () => {
    const m = model({ components: { paths: Paths }, hosts: { localhost: ["paths"] }, vfs: { sandbox: "Developer" } });
    m.configure();
    const c = m.component("paths");
    expect(c.map("/etc/app.conf")).toBe(join(m.dir, "work/_/etc/app.conf"));
    expect(c.map("app.conf")).toBe(join(m.dir, "work/paths/app.conf"));
  });

  test("without [vfs] absolute paths are unchanged", () => {
    const m = model({ components: { paths: Paths }, hosts: { localhost: ["paths"] } });
    m.configure();
    expect(m.component("paths").map("/etc/app.conf")).toBe("/etc/app.conf");
  });

  test("host features replace the component's features; without any the default stays", () => {
    const m = model({ components: { zeo: Zeo }, hosts: { localhost: ["zeo"], host2: ["zeo:test"] } });
    m.configure();
    expect(m.component<Zeo>("zeo", "localhost").features).toEqual(["test", "test2"]);
    expect(m.component<Zeo>("zeo", "host2").features).toEqual(["test"]);
  });
});
