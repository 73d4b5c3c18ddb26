/** Component helpers: assertions, cmd, touch, expand/template, log. */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import assert from "node:assert";
import { CommandError, Component, ConfigurationError, type DeploymentError, UpdateNeeded } from "../../lib/batou.ts";
import { cleanupModels, type Model, model, rejected, thrown } from "../helpers/model.ts";

let m: Model | undefined;
afterEach(() => {
  cleanupModels();
  m = undefined;
});

class Top extends Component {
  word: string | null = "world";
}

function top(): Top {
  m = model({ components: { top: Top }, hosts: { localhost: ["top"] } });
  m.configure();
  return m.component<Top>("top");
}

describe("assertFileIsCurrent", () => {
  test("a missing reference needs an update; an existing one without requirements is current", () => {
    const c = top();
    expect(thrown(() => c.assertFileIsCurrent(join(m!.dir, "nope")))).toBeInstanceOf(UpdateNeeded);
    writeFileSync(join(m!.dir, "ref"), "x");
    expect(() => c.assertFileIsCurrent(join(m!.dir, "ref"))).not.toThrow();
  });

  test("a reference older than a requirement needs an update; missing requirements are ignored", () => {
    const c = top();
    const ref = join(m!.dir, "ref");
    const req = join(m!.dir, "req");
    writeFileSync(ref, "x");
    writeFileSync(req, "y");
    utimesSync(ref, new Date(2000, 1, 1), new Date(2000, 1, 1));
    expect(thrown(() => c.assertFileIsCurrent(ref, [req]))).toBeInstanceOf(UpdateNeeded);
    utimesSync(ref, new Date(), new Date(Date.now() + 60_000));
    expect(() => c.assertFileIsCurrent(ref, [req, join(m!.dir, "missing")])).not.toThrow();
  });
});

describe("assertComponentIsCurrent", () => {
  class Stamped extends Component {
    static override namevar = "stamp";
    stamp: number | undefined = undefined;
    override lastUpdated() {
      return this.stamp;
    }
  }

  function stamped(value: number | undefined, requirements: (number | undefined)[]): () => void {
    const c = top();
    const self = c.add(new Stamped(value ?? -1));
    self.stamp = value;
    const reqs = requirements.map((r) => {
      const req = new Stamped(r ?? -1);
      req.stamp = r;
      return req;
    });
    return () => self.assertComponentIsCurrent(reqs);
  }

  test("no reference, or an older one, needs an update", () => {
    expect(thrown(stamped(undefined, [21]))).toBeInstanceOf(UpdateNeeded);
    expect(thrown(stamped(20, [21]))).toBeInstanceOf(UpdateNeeded);
    expect(thrown(stamped(20, [10, 21]))).toBeInstanceOf(UpdateNeeded);
  });

  test("an equal or newer reference is current; requirements without a value are skipped", () => {
    expect(stamped(21, [21])).not.toThrow();
    expect(stamped(22, [21, undefined])).not.toThrow();
  });

  test("the base class has no lastUpdated()", () => {
    expect(() => top().lastUpdated()).toThrow(/does not implement lastUpdated/);
  });
});

describe("assertNoSubcomponentChanges and assertNoChanges", () => {
  test("a parent updates exactly when a direct child changed", async () => {
    const updates: string[] = [];
    class Child extends Component {
      static override namevar = "id";
      id = "";
      dirty = false;
      override async verify() {
        if (this.dirty) throw new UpdateNeeded();
      }
      override async update() {
        updates.push(this.id);
      }
    }
    class Parent extends Component {
      static override namevar = "id";
      id = "";
      dirtyChild = false;
      override configure() {
        this.add(new Child(`${this.id}.child`, { dirty: this.dirtyChild }));
      }
      override async verify() {
        this.assertNoSubcomponentChanges();
      }
      override async update() {
        updates.push(this.id);
      }
    }
    m = model({ components: { top: Top }, hosts: { localhost: ["top"] } });
    m.configure();
    const t = m.component("top");
    const clean = t.add(new Parent("clean"));
    const dirty = t.add(new Parent("dirty", { dirtyChild: true }));
    const events = await m.deploy();
    expect(updates).toEqual(["dirty.child", "dirty"]);
    expect(clean.changed).toBe(false);
    expect(dirty.changed).toBe(true);
    expect(t.changed).toBe(true);
    expect(thrown(() => t.assertNoChanges())).toBeInstanceOf(UpdateNeeded);
    expect(() => clean.assertNoChanges()).not.toThrow();
    const names = (key: "changed" | "updated") =>
      events.filter((e) => e.event === "component" && e[key]).map((e) => (e as { component: string }).component);
    expect(names("updated")).toEqual(["Top > Parent('dirty') > Child('dirty.child')", "Top > Parent('dirty')"]);
    expect(names("changed")).toEqual([...names("updated"), "Top"]);
  });
});

describe("verify outcomes", () => {
  test("a failed node:assert means update needed; any other error fails the deployment", async () => {
    const updated: string[] = [];
    class Asserting extends Component {
      override async verify() {
        assert.equal(1, 2);
      }
      override async update() {
        updated.push("asserting");
      }
    }
    class Crashing extends Component {
      override async verify() {
        throw new TypeError("cannot read the state");
      }
    }
    m = model({ components: { asserting: Asserting, crashing: Crashing }, hosts: { localhost: ["asserting", "crashing"] } });
    const error = await rejected(() => m!.deploy());
    expect(updated).toEqual(["asserting"]);
    expect(error.message).toBe("verify() failed: cannot read the state");
    expect((error as unknown as DeploymentError).context).toMatchObject({ host: "localhost", component: "Crashing", step: "verify" });
  });
});

describe("cmd", () => {
  test("returns stdout, stderr and the exit code", async () => {
    const result = await top().cmd("echo out; echo err >&2");
    expect(result).toEqual({ stdout: "out\n", stderr: "err\n", code: 0 });
  });

  test("a failure throws a CommandError with command, exit code and output", async () => {
    const error = await rejected(() => top().cmd("echo partial; no-such-command-here"));
    expect(error).toBeInstanceOf(CommandError);
    const e = error as unknown as CommandError;
    expect(e.exitCode).toBe(127);
    expect(e.command).toBe("echo partial; no-such-command-here");
    expect(e.stdout).toBe("partial\n");
    expect(e.stderr).toContain("no-such-command-here");
    expect(e.message).toContain("exit code 127");
    expect(e.stack).toContain("helpers.test.ts"); // the caller's line, for error messages
  });

  test("ignoreReturnCode returns the output of a failing command", async () => {
    const result = await top().cmd("echo important && exit 3", { ignoreReturnCode: true });
    expect(result.stdout).toBe("important\n");
    expect(result.code).toBe(3);
  });

  test("stdin is closed: a command reading it does not hang", async () => {
    expect((await top().cmd("cat")).stdout).toBe("");
    expect((await top().cmd(["cat"], { input: "given" })).stdout).toBe("given");
  });

  test("runs in the workdir when it exists; arrays run without a shell", async () => {
    const c = top();
    mkdirSync(c.workdir, { recursive: true });
    expect((await c.cmd("pwd")).stdout.trim()).toBe(c.workdir);
    expect((await c.cmd(["echo", "$HOME"])).stdout).toBe("$HOME\n");
    const error = await rejected(() => c.cmd(["/no/such/program"]));
    expect((error as unknown as CommandError).exitCode).toBe(127);
  });

  test("assertCmd turns a failure into UpdateNeeded", async () => {
    const c = top();
    await c.assertCmd("true");
    expect(await rejected(() => c.assertCmd("false"))).toBeInstanceOf(UpdateNeeded);
  });
});

describe("touch", () => {
  test("creates a missing file and refreshes the mtime of an existing one, keeping content", () => {
    const c = top();
    const path = join(m!.dir, "stamp");
    c.touch(path);
    expect(readFileSync(path, "utf8")).toBe("");
    writeFileSync(path, "Hello world");
    utimesSync(path, new Date(0), new Date(0));
    c.touch(path);
    expect(statSync(path).mtimeMs).toBeGreaterThan(0);
    expect(readFileSync(path, "utf8")).toBe("Hello world");
  });
});

describe("expand and template", () => {
  test("expand renders in the component's context and keeps trailing newlines", () => {
    const c = top();
    expect(c.expand("Hello {{host.fqdn}}")).toBe("Hello localhost");
    expect(c.expand("{{ component.word }}\n\n")).toBe("world\n\n");
    expect(c.expand("{{ environment.name }} {{ extra }}", { extra: 42 })).toBe("test 42");
  });

  test("template() reads a file next to the component and appends one newline", () => {
    const c = top();
    writeFileSync(join(m!.dir, "sample"), "Hello {{host.fqdn}}");
    expect(c.template("sample")).toBe("Hello localhost\n");
  });

  test("batou_generated_header names the component", () => {
    const c = top();
    const child = c.add(new (class Inner extends Component {})());
    writeFileSync(join(m!.dir, "header"), "Hello\n# {{batou_generated_header}}");
    expect(c.template("header")).toBe("Hello\n# File is generated by batou for component Top. Don't edit manually.\n");
    expect(child.expand("{{batou_generated_header}}")).toBe("File is generated by batou for component Top > Inner. Don't edit manually.");
  });

  test("undefined names and attributes are errors naming them", () => {
    const c = top();
    const missing = thrown(() => c.expand("a {{ nothing }} b"));
    expect(missing).toBeInstanceOf(ConfigurationError);
    expect(missing.message).toContain("nothing");
    const attribute = thrown(() => c.expand("{{ host.nosuchattr }}"));
    expect(attribute.message).toContain("nosuchattr");
    const nested = thrown(() => c.expand("{{ nope.deeper }}"));
    expect(nested.message).toContain("nope");
  });

  test("expand of something that is not a string is an error naming the component and what it got", () => {
    const c = top();
    for (const [value, got] of [[undefined, "undefined"], [null, "null"], [42, "a number"], [{}, "an object"]] as const) {
      const error = thrown(() => c.expand(value as unknown as string)) as unknown as ConfigurationError;
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error.message).toBe(`expand() renders a template string, but got ${got}`);
      expect(error.context.component).toBe("Top");
    }
  });

  test("null renders as None, whitespace control and @@ line statements work", () => {
    const c = top();
    c.word = null;
    expect(c.expand("The magic word is {{ component.word }}.")).toBe("The magic word is None.");
    expect(c.expand("{%- for x in [1, 2] -%} {{ x }} {%- endfor %}")).toBe("12");
    expect(c.expand("@@ for x in ['a', 'b']\n{{ x }}\n@@ endfor\n")).toBe("a\nb\n");
  });

  test("a template syntax error names the template and the line", () => {
    const c = top();
    writeFileSync(join(m!.dir, "broken.j2"), "fine\n{% if %}\n");
    const error = thrown(() => c.template("broken.j2")) as unknown as ConfigurationError;
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(String(error.context.template)).toContain("broken.j2");
    expect(error.message).toMatch(/line 2/);
  });
});

describe("log", () => {
  test("during configure it is kept for later; during deploy it is reported at once", async () => {
    class Chatty extends Component {
      override configure() {
        this.log("configured");
      }
      override async verify() {
        this.log("verifying");
      }
    }
    m = model({ components: { chatty: Chatty }, hosts: { localhost: ["chatty"] } });
    const result = m.configure();
    expect(result.logs.map((l) => l.message)).toEqual(["configured"]);
    const events = await m.deploy();
    expect(events).toContainEqual({ event: "log", host: "localhost", component: "Chatty", message: "verifying" });
    expect(existsSync(m.component("chatty").workdir)).toBe(true);
  });
});
