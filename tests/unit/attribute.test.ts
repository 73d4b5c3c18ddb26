/**
 * Declared attributes: conversions, expansion, mapping, defaults and required
 * attributes, applied to overrides from environments and secrets (batou's
 * Attribute cases from test_component.py, test_config.py and examples/errors2,
 * in our words).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { homedir } from "node:os";
import { overrideProblem } from "../../lib/engine/arguments.ts";
import { attribute, convert, parseLiteral } from "../../lib/engine/attribute.ts";
import { Component } from "../../lib/engine/component.ts";
import type { ConfigurationErrors } from "../../lib/engine/errors.ts";
import { cleanupModels, errorText, model, thrown } from "../helpers/model.ts";

afterEach(cleanupModels);

describe("conversions", () => {
  test.each([
    ["list", "", []],
    ["list", "1,2", ["1", "2"]],
    ["list", "3", ["3"]],
    ["list", "  3, 3,", ["3", "3"]],
    ["list", ["a", "b"], ["a", "b"]],
    ["literal", "[3,3]", [3, 3]],
    ["literal", "True", true],
    ["literal", "False", false],
    ["literal", "None", null],
    ["literal", '{"a": 1}', { a: 1 }],
    ["literal", "['x', 'y']", ["x", "y"]],
    ["literal", "{ a = 1 }", { a: 1 }],
    ["literal", { already: "a table" }, { already: "a table" }],
    ["number", "8080", 8080],
    ["number", "-1.5", -1.5],
    ["number", 3.5, 3.5],
    ["integer", "9001", 9001],
    ["integer", 9001, 9001],
    ["boolean", "TRUE", true],
    ["boolean", "false", false],
    ["boolean", false, false],
    ["string", "x", "x"],
    ["string", 80, "80"],
  ] as const)("%s of %j is %j", (conversion, value, expected) => {
    expect(convert(conversion, value)).toEqual({ value: expected });
  });

  test.each([
    ["number", "0x1F", "not a number"],
    ["number", "Infinity", "not a number"],
    ["number", "", "not a number"],
    ["number", Number.NaN, "not a number"],
    ["integer", "1.5", "not an integer"],
    ["boolean", "yes", "not true or false"],
    ["list", [1, 2], "not a list"],
    ["string", ["a"], "not a string"],
    ["literal", "false ]", "not a literal"],
    ["literal", "nan", "nan or inf"],
  ] as const)("%s of %j fails: %s", (conversion, value, problem) => {
    const result = convert(conversion, value);
    expect("problem" in result && result.problem).toContain(problem);
  });

  test("a function gets the text; a class is constructed from it; what they throw is the problem", () => {
    const port = (text: string) => {
      const n = Number(text);
      if (!Number.isInteger(n)) throw new Error(`${text} is no port`);
      return n;
    };
    class Upper {
      value: string;
      constructor(text: string) {
        this.value = text.toUpperCase();
      }
    }
    expect(convert(port, "80")).toEqual({ value: 80 });
    expect(convert(port, 80)).toEqual({ value: 80 });
    expect(convert(port, "x")).toEqual({ problem: "x is no port" });
    expect((convert(Upper, "abc") as { value: Upper }).value.value).toBe("ABC");
    expect(convert(port, { a: 1 })).toEqual({ problem: "not a string (an array or table was given)" });
  });

  test("literal text: JSON, TOML value syntax, Python's True/False/None", () => {
    expect(parseLiteral("1979-05-27")).toEqual({ problem: "it is a TOML date or time: write it as a string" });
  });
});

class Foo extends Component {
  port = attribute("integer", { defaultText: "9001" });
  hosts = attribute("list", { default: ["3"] });
  flag = attribute("list", { default: "True" as unknown as string[] });
  settings = attribute<{ size: number } | null>("literal", { default: null });
  greeting = attribute("string", { default: "hello" });
  raw = attribute("string", { default: "x", expand: false });
  logs = attribute("string", { default: "logs", map: true });
  required = attribute("string");
  configure() {}
}

class Reader extends Component {
  a = attribute("string");
  configure() {
    void this.a.length;
  }
}

class Parent extends Component {
  configure() {
    this.add(new Child({ name: "given" }));
  }
}
class Child extends Component {
  name = attribute("string");
  other = attribute("string");
  configure() {
    void this.name;
  }
}
class NeedsChild extends Component {
  configure() {
    this.add(new Child({ name: "x" })).other.length;
  }
}

const foo = (overrides: Record<string, unknown> = {}) => {
  const m = model({ components: { foo: Foo }, hosts: { localhost: ["foo"] }, overrides: { foo: overrides } });
  return m;
};

describe("attributes in the model", () => {
  test("defaults: `default` as given (no conversion), `defaultText` converted when read", () => {
    const m = foo();
    m.configure();
    const c = m.component<Foo>("foo");
    expect(c.port).toBe(9001);
    expect(c.hosts).toEqual(["3"]);
    expect(c.flag as unknown).toBe("True");
    expect(c.settings).toBeNull();
    expect(c.greeting).toBe("hello");
  });

  test("overrides are expanded in the component's context, mapped, converted", () => {
    const m = foo({ port: "9002", hosts: "a, b,", settings: '{"size": 3}', greeting: "Hello {{ host.name }}", raw: "{{ not expanded }}", logs: "var/log" });
    m.configure();
    const c = m.component<Foo>("foo");
    expect(c.port).toBe(9002);
    expect(c.hosts).toEqual(["a", "b"]);
    expect(c.settings).toEqual({ size: 3 });
    expect(c.greeting).toBe("Hello localhost");
    expect(c.raw).toBe("{{ not expanded }}");
    expect(c.logs).toBe(join(m.dir, "work/foo/var/log"));
  });

  test("a mapped override starting with ~ is in the home directory; an absolute one stays", () => {
    for (const [logs, mapped] of [["~/var/log", join(homedir(), "var/log")], ["~", homedir()], ["/srv/log", "/srv/log"]] as const) {
      const m = foo({ logs });
      m.configure();
      expect(m.component<Foo>("foo").logs).toBe(mapped);
    }
  });

  test("TOML values of the conversion's type are taken as they are", () => {
    const m = foo({ port: 7000, hosts: ["x"], settings: { size: 1 } });
    m.configure();
    expect(m.component<Foo>("foo").port).toBe(7000);
    expect(m.component<Foo>("foo").hosts).toEqual(["x"]);
    expect(m.component<Foo>("foo").settings).toEqual({ size: 1 });
  });

  test("every failed conversion of a component is reported, naming file, component, attribute, value and conversion", () => {
    const m = foo({ port: "eighty", greeting: "{{ host.aliases.doesnotexist }}", hosts: [1] });
    const error = thrown(() => m.configure()) as unknown as ConfigurationErrors;
    expect(error.errors).toHaveLength(3);
    const text = errorText(error);
    expect(text).toContain('cannot convert the value of "port": not an integer\nfile: environments/test.toml\nhost: localhost\ncomponent: Foo\nattribute: port\nvalue: "eighty"\nconversion: integer');
    expect(text).toMatch(/cannot expand the value of "greeting": template error: [^\n]*\nfile: environments\/test.toml\nhost: localhost\ncomponent: Foo\nattribute: greeting\nvalue: "\{\{ host.aliases.doesnotexist \}\}"/);
    expect(text).toContain('cannot convert the value of "hosts": not a list');
  });

  test("a required attribute read without a value is an error naming it (not some other component)", () => {
    const m = model({ components: { reader: Reader }, hosts: { localhost: ["reader"] } });
    const text = errorText(thrown(() => m.configure()));
    expect(text).toMatch(/^attribute "a" has no value\n/);
    expect(text).toContain("component: Reader\nattribute: a");
    expect(text).toContain("hint: set it in [components.reader] of the environment (or in its secrets), or give it a default");
  });

  test("a required attribute set by an override or an option is fine; unset on a sub-component, the hint says how to pass it", () => {
    const m = model({ components: { reader: Reader, parent: Parent }, hosts: { localhost: ["reader", "parent"] }, overrides: { reader: { a: "set" } } });
    m.configure();
    expect(m.component<Reader>("reader").a).toBe("set");
    const n = model({ components: { needschild: NeedsChild }, hosts: { localhost: ["needschild"] } });
    const text = errorText(thrown(() => n.configure()));
    expect(text).toContain('attribute "other" has no value');
    expect(text).toContain("component: NeedsChild > Child");
    expect(text).toContain("hint: pass it as an option (new Child({ other: … })), or give it a default");
  });

  test("an unset required attribute does not break listing the attributes (unknown override message)", () => {
    const m = model({ components: { reader: Reader }, hosts: { localhost: ["reader"] }, overrides: { reader: { b: 1 } } });
    expect(errorText(thrown(() => m.configure()))).toContain('override of an unknown attribute "b"\nfile: environments/test.toml\nhost: localhost\ncomponent: Reader\nattribute: b\nknown: a');
  });
});

test("overrideProblem checks a value without a host (as secrets edit does): conversions, plain fields, templates left for later", () => {
  const fresh = new Foo();
  expect(overrideProblem(fresh, "port", "eighty")).toBe("not an integer (conversion integer)");
  expect(overrideProblem(fresh, "port", "9002")).toBeUndefined();
  expect(overrideProblem(fresh, "greeting", "{{ host.name }}")).toBeUndefined();
  expect(overrideProblem(fresh, "raw", 5)).toBeUndefined();
  expect(overrideProblem(fresh, "hosts", [1])).toContain("not a list");
  expect(overrideProblem(fresh, "nope", 1)).toBe('no attribute "nope"');
  class Plain extends Component {
    port = 80;
  }
  expect(overrideProblem(new Plain(), "port", "x")).toBe("expected number, got string");
});
