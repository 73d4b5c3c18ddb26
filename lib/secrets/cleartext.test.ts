import { describe, expect, test } from "bun:test";
import { collectSecretValues, parseSecretsToml, SecretsSyntaxError } from "./cleartext.ts";

describe("secrets cleartext", () => {
  test("numbers, booleans and array items are secret values too", () => {
    const doc = parseSecretsToml('[components.app]\npin = 123456\nratio = 1.5\non = true\ncodes = [4711, "x-y-z"]\n', "f");
    const values = new Set<string>();
    collectSecretValues(doc, values);
    expect([...values].sort()).toEqual(["1.5", "123456", "4711", "true", "x-y-z"]);
  });

  test("components and host data", () => {
    const doc = parseSecretsToml(
      '[components.app]\npassword = "pw"\nport = 5\n\n[hosts.web1.data]\nroot = "r"\nlist = ["a", "b\\nc"]\n',
      "f",
    );
    expect(doc).toEqual({ components: { app: { password: "pw", port: 5 } }, hosts: { web1: { data: { root: "r", list: ["a", "b\nc"] } } } });
    const values = new Set<string>();
    collectSecretValues(doc, values);
    expect([...values].sort()).toEqual(["5", "a", "b", "b\nc", "c", "pw", "r"]);
  });

  test("syntax errors carry the line", () => {
    try {
      parseSecretsToml('[components.app]\npassword = "pw"\nbroken = \n', "environments/prod/secrets.toml.nacl");
      throw new Error("no error");
    } catch (error) {
      expect(error).toBeInstanceOf(SecretsSyntaxError);
      expect((error as SecretsSyntaxError).line).toBe(3);
      expect((error as Error).message).toMatch(/^environments\/prod\/secrets.toml.nacl:3:\d+: invalid TOML/);
    }
  });

  const bad: [string, RegExp][] = [
    ['[environment]\nx = "y"\n', /unexpected key "environment"; only \[components.NAME\] and \[hosts.NAME.data\]/],
    ['password = "x"\n', /unexpected key "password"/],
    ['[hosts.web1]\ncomponents = ["a"]\n', /unexpected key "hosts.web1.components"/],
    ['[components]\napp = "x"\n', /"components.app" must be a table/],
    ['[hosts.web1]\ndata = 3\n', /"hosts.web1.data" must be a table/],
  ];
  for (const [text, message] of bad) {
    test(`rejects ${JSON.stringify(text.split("\n")[0])}`, () => {
      expect(() => parseSecretsToml(text, "file.nacl")).toThrow(new RegExp(`^file.nacl: .*${message.source}`));
    });
  }

  test("__proto__, constructor and toString are plain names (null-prototype maps): nothing is lost or inherited", () => {
    const doc = parseSecretsToml(
      '[components.__proto__]\nx = "proto-value"\n[components.constructor]\ny = "ctor-value"\n' +
        '[components.app]\ntoString = "str-value"\n[hosts.__proto__.data]\nz = "host-value"\n',
      "f",
    );
    expect(Object.keys(doc.components)).toEqual(["__proto__", "constructor", "app"]);
    expect(Object.keys(doc.hosts)).toEqual(["__proto__"]);
    expect(doc.components.__proto__).toEqual({ x: "proto-value" });
    expect("toString" in doc.components).toBe(false);
    expect("constructor" in doc.hosts).toBe(false);
    const values = new Set<string>();
    collectSecretValues(doc, values);
    expect([...values].sort()).toEqual(["ctor-value", "host-value", "proto-value", "str-value"]);
  });
});

