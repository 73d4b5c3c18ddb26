/**
 * The INI reader against Python's own configparser, configured as batou configures
 * it (RawConfigParser, keys kept as written): the same sections, keys and values
 * for the cases batou files contain, and an error where Python refuses the file.
 */
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { IniError, parseIni } from "../../lib/migrate/ini.ts";

const PYTHON = String.raw`
import configparser, json, sys
config = configparser.RawConfigParser()
config.optionxform = lambda o: o
try:
    config.read_string(sys.stdin.read())
except configparser.Error as e:
    print(json.dumps({"error": type(e).__name__})); sys.exit(0)
print(json.dumps({s: {k: config.get(s, k) for k in config.options(s)} for s in config.sections()}))
`;

function python(text: string): Record<string, Record<string, string>> | { error: string } {
  const run = spawnSync("python3", ["-c", PYTHON], { input: text, encoding: "utf8" });
  return JSON.parse(run.stdout);
}

function ours(text: string): Record<string, Record<string, string>> | { error: string } {
  try {
    const doc = parseIni(text, "test.cfg");
    return Object.fromEntries(doc.sections.map((s) => [s.name, Object.fromEntries(s.entries.map((e) => [e.key, e.value]))]));
  } catch (error) {
    if (error instanceof IniError) return { error: "any" };
    throw error;
  }
}

const CASES: Record<string, string> = {
  "keys, both delimiters, case kept": "[environment]\nHost_Domain = example.com\nservice_user: app\n  spaced   =   value  \n",
  "continuation lines and blank lines inside a value": "[hosts]\nweb1 =\n    app,\n\n    db\n\n[x]\ny = 1\n",
  "comments only on lines of their own": "# top\n[a]\n; semi\nkey = value # not a comment ; nor this\n  # indented comment\nother = 2\n",
  "a comment inside a multi-line value does not end it": "[resolver]\nname = 10.0.0.1\n# v6\n    ::1\n",
  "DEFAULT keys reach every section": "[DEFAULT]\nshared = yes\n[a]\nown = 1\n[b]\nshared = no\n",
  "a value with = and : in it": "[component:app]\nurl = http://x:8080/?a=b\nempty =\n",
  "section names with colons and spaces": "[host:web1.example.com]\ncomponents = a\n[component:my app]\nk = v\n",
};

const REFUSED: Record<string, string> = {
  "a key before any section": "key = value\n[a]\n",
  "a section twice": "[a]\nk = 1\n[a]\nj = 2\n",
  "a key twice": "[a]\nk = 1\nk = 2\n",
  "a line without a delimiter": "[a]\njust words\n",
};

describe("INI as Python's configparser reads it for batou", () => {
  for (const [name, text] of Object.entries(CASES)) {
    test(name, () => {
      const expected = python(text);
      expect("error" in expected).toBe(false);
      expect(ours(text)).toEqual(expected);
    });
  }
  for (const [name, text] of Object.entries(REFUSED)) {
    test(`refused: ${name}`, () => {
      expect("error" in python(text)).toBe(true);
      expect(ours(text)).toEqual({ error: "any" });
    });
  }

  test("comments attach to the key or section below them, with lines", () => {
    const doc = parseIni("# about a\n[a]\n# about k\n; and more\nk = 1\n# trailing\n", "t.cfg");
    expect(doc.sections[0]).toMatchObject({ name: "a", line: 2, comments: ["about a"] });
    expect(doc.sections[0].entries[0]).toMatchObject({ key: "k", line: 5, comments: ["about k", "and more"] });
    expect(doc.trailingComments).toEqual(["trailing"]);
  });
});
