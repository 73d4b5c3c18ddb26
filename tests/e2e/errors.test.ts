/**
 * Every bad input of a project, through the CLI in both modes: exit 1, a
 * message naming the file/line, host, component or attribute, no stack trace
 * (unless --debug), and nothing deployed.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { ensureCompiled, hasStackTrace, localEnvironment, RUNNERS, runBatou, tempProject } from "../helpers/project.ts";

beforeAll(() => ensureCompiled(), 300_000);

const APP = `import { Component, File } from "batou";

export class App extends Component {
  port = 8080;
  name = "app";
  configure() {
    this.add(new File("app.conf", { content: \`port = \${this.port}\\n\` }));
  }
}
`;

/** A component whose configure() body is `body` (line 5 is the first body line). */
function component(name: string, body: string, imports = "Component"): string {
  return `import { ${imports} } from "batou";\n\nexport class ${name} extends Component {\n  configure() {\n${body}\n  }\n}\n`;
}

interface Case {
  name: string;
  files: Record<string, string>;
  env?: string;
  /** Every pattern must appear in stdout+stderr. */
  expect: (string | RegExp)[];
}

const base = (toml: string, more: Record<string, string> = {}) => ({
  "environments/dev.toml": toml,
  "components/app/component.ts": APP,
  ...more,
});

const CASES: Case[] = [
  {
    name: "a missing environment",
    files: base(localEnvironment(["app"])),
    env: "production",
    expect: ['missing environment "production"', "environments/production.toml", "known: dev"],
  },
  {
    name: "a TOML syntax error",
    files: base(`[environment]\nconnect_method = "local"\njobs = = 2\n`),
    expect: ["TOML syntax error", "environments/dev.toml:3"],
  },
  {
    name: "an unterminated TOML string",
    files: base(`[environment]\nconnect_method = "local"\n[hosts.localhost]\ncomponents = ["app]\n`),
    expect: ["TOML syntax error: unterminated string", "environments/dev.toml:4"],
  },
  {
    name: "an attribute conversion that fails",
    files: base(localEnvironment(["conv"], `\n[components.conv]\nworkers = "many"\n`), {
      "components/conv/component.ts": `import { attribute, Component } from "batou";\nexport class Conv extends Component {\n  workers = attribute("integer", { default: 2 });\n}\n`,
    }),
    expect: ['cannot convert the value of "workers": not an integer', "environments/dev.toml:8", "component: Conv", "attribute: workers", 'value: "many"', "conversion: integer"],
  },
  {
    name: "an unknown section",
    files: base(`${localEnvironment(["app"])}\n[provisioners]\nx = 1\n`),
    expect: ["unknown section [provisioners]", "environments/dev.toml:7"],
  },
  {
    name: "an unknown key",
    files: base(`[environment]\nconnect_method = "local"\nparallel = 3\n[hosts.localhost]\ncomponents = ["app"]\n`),
    expect: ['unknown key "parallel" in [environment]', "environments/dev.toml:3"],
  },
  {
    name: "a bad value of a known key",
    files: base(`[environment]\nconnect_method = "carrier-pigeon"\n[hosts.localhost]\ncomponents = ["app"]\n`),
    expect: [/connect_method must be "ssh", "local", "vagrant" or "exec"/, "environments/dev.toml:2"],
  },
  {
    name: "an override of an unknown attribute",
    files: base(localEnvironment(["app"], `\n[components.app]\nprot = 80\n`)),
    expect: ['override of an unknown attribute "prot"', "environments/dev.toml:8", "component: App", "attribute: prot"],
  },
  {
    name: "an override of the wrong type",
    files: base(localEnvironment(["app"], `\n[components.app]\nport = "eighty"\n`)),
    expect: ["override of the wrong type: expected number, got string", "environments/dev.toml:8", "attribute: port", 'value: "eighty"'],
  },
  {
    name: "overrides of an unknown component",
    files: base(localEnvironment(["app"], `\n[components.nginx]\nport = 80\n`)),
    expect: ['unknown component "nginx"', "environments/dev.toml:7"],
  },
  {
    name: "an unknown component on a host",
    files: base(localEnvironment(["app", "nginx"])),
    expect: ['host "localhost" names an unknown component "nginx"', "environments/dev.toml:5", "host: localhost"],
  },
  {
    name: "two components with one name",
    files: base(localEnvironment(["app"]), { "components/zzz/component.ts": APP.replace("8080", "9090") }),
    expect: ['two components are named "app"', "components/app/component.ts", "components/zzz/component.ts"],
  },
  {
    name: "a component file with a syntax error",
    files: base(localEnvironment(["app"]), { "components/broken/component.ts": `import { Component } from "batou";\n\nexport class Broken extends Component {\n  configure( {\n}\n` }),
    expect: ["syntax error: Expected \")\" but found end of file", "components/broken/component.ts:5:2"],
  },
  {
    name: "a component file importing a missing module",
    files: base(localEnvironment(["app"]), { "components/broken/component.ts": `import { Component } from "batou";\nimport "no-such-module-anywhere";\n\nexport class Broken extends Component {}\n` }),
    expect: ['imports "no-such-module-anywhere"', "components/broken/component.ts:2"],
  },
  {
    name: "a component file importing a package (never installed or fetched)",
    files: base(localEnvironment(["app"]), { "components/pad/component.ts": `import { Component } from "batou";\nimport leftPad from "left-pad";\n\nexport class Pad extends Component { p = leftPad("a", 3); }\n` }),
    expect: ['components/pad/component.ts imports "left-pad": components may import "batou", node: and bun: built-ins and files of the project', "components/pad/component.ts:2"],
  },
  {
    // Not visible to the import check: Bun's auto-install is off (bun --no-install), as in the compiled executable.
    name: "a component file importing a package by a computed name",
    files: base(localEnvironment(["app"]), { "components/pad/component.ts": `import { Component } from "batou";\nconst name = ["left", "pad"].join("-");\nawait import(name);\nexport class Pad extends Component {}\n` }),
    expect: ["cannot load the component file: Cannot find package 'left-pad'", "components/pad/component.ts"],
  },
  {
    name: "a component file that throws at top level",
    files: base(localEnvironment(["app"]), { "components/broken/component.ts": `import { Component } from "batou";\n\nthrow new Error("top-level boom");\nexport class Broken extends Component {}\n` }),
    expect: ["cannot load the component file", "top-level boom", "components/broken/component.ts:3"],
  },
  {
    name: "an unknown option key in a constructor",
    files: base(localEnvironment(["app", "maker"]), { "components/maker/component.ts": component("Maker", `    this.add(new File("x", { content: "", colour: "red" } as never));`, "Component, File") }),
    expect: ["unknown option colour for File", "host: localhost", "component: Maker > File('x')", "components/maker/component.ts:5"],
  },
  {
    name: "a missing namevar",
    files: base(localEnvironment(["app", "maker"]), { "components/maker/component.ts": component("Maker", `    this.add(new (File as any)());`, "Component, File") }),
    expect: ["File needs a path", "host: localhost", "component: Maker > File", "components/maker/component.ts:5"],
  },
  {
    name: "a dependency cycle",
    files: base(localEnvironment(["app", "chicken", "egg"]), {
      "components/chicken/component.ts": component("Chicken", `    this.require("egg");\n    this.provide("chicken", 1);`),
      "components/egg/component.ts": component("Egg", `    this.require("chicken");\n    this.provide("egg", 1);`),
    }),
    expect: ["dependency cycle", "localhost/chicken depends on localhost/egg", "localhost/egg depends on localhost/chicken"],
  },
  {
    name: "an unsatisfied strict requirement",
    files: base(localEnvironment(["app", "needy"]), { "components/needy/component.ts": component("Needy", `    this.requireOne("database");`) }),
    expect: ['resource "database"', "nothing provides it", "localhost/needy"],
  },
  {
    name: "a provided but unused resource",
    files: base(localEnvironment(["app", "giver"]), { "components/giver/component.ts": component("Giver", `    this.provide("gift", "socks");`) }),
    expect: ['resource "gift" is provided but nothing requires it', "host: localhost", "component: giver", "socks"],
  },
  {
    name: "a component that throws in configure()",
    files: base(localEnvironment(["app", "thrower"]), {
      "components/thrower/component.ts": component("Thrower", `    const settings: Record<string, string> = {};\n    if (!settings.db) throw new Error("no database configured");`),
    }),
    expect: ["no database configured", "components/thrower/component.ts:6", "host: localhost", "component: Thrower"],
  },
  {
    name: "a template error in configure()",
    files: base(localEnvironment(["app", "templ"]), {
      "components/templ/component.ts": component("Templ", `    this.add(new File("t", { source: "t.j2" }));`, "Component, File"),
      "components/templ/t.j2": "line one\n{{ undefined_thing }}\n",
    }),
    expect: ["undefined_thing", "t.j2", "component: Templ"],
  },
];

describe.each(RUNNERS)("bad input ($name)", (runner) => {
  test.each(CASES)("$name", (c) => {
    using project = tempProject(c.files);
    const result = runBatou(runner, ["deploy", c.env ?? "dev"], project.dir);
    for (const pattern of c.expect) {
      if (typeof pattern === "string") expect(result.output).toContain(pattern);
      else expect(result.output).toMatch(pattern);
    }
    expect(result.stderr).toContain("ERROR");
    expect(hasStackTrace(result.output)).toBe(false);
    expect(result.code).toBe(1);
    expect(project.deployedNothing()).toBe(true);

    const json = runBatou(runner, ["deploy", c.env ?? "dev", "--json"], project.dir);
    expect(json.code).toBe(1);
    expect(json.events.some((e) => e.event === "error")).toBe(true);
    expect(json.events.at(-1)).toMatchObject({ event: "summary", ok: false, changed: 0 });
    expect(project.deployedNothing()).toBe(true);
  });

  test("--debug shows the stack trace of a failing configure()", () => {
    const thrower = CASES.find((c) => c.name === "a component that throws in configure()")!;
    using project = tempProject(thrower.files);
    const result = runBatou(runner, ["deploy", "dev", "--debug"], project.dir);
    expect(result.code).toBe(1);
    expect(hasStackTrace(result.output)).toBe(true);
    expect(result.output).toContain("components/thrower/component.ts:6");
  });

  test("a project without environments/ is an error, not a crash", () => {
    using project = tempProject();
    project.remove("environments");
    const result = runBatou(runner, ["deploy", "dev"], project.dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("no batou project here");
    expect(hasStackTrace(result.output)).toBe(false);
  });
});

test("load errors and configuration errors come in one run, causes first, sorted by file and line; what follows from a file that failed to load says so", () => {
  using project = tempProject({
    "environments/dev.toml": `[environment]\nconnect_method = "local"\nparallel = 3\n\n[hosts.localhost]\ncomponents = ["app", "thrower", "needy", "db"]\n\n[components.app]\nprot = 80\n`,
    "components/app/component.ts": APP,
    "components/thrower/component.ts": component("Thrower", `    throw new Error("no database configured");`),
    "components/needy/component.ts": component("Needy", `    this.requireOne("database");`),
    // the provider of "database" does not load: what needs it is a knock-on error
    "components/db/component.ts": `import { Component } from "batou";\n\nexport class Db extends Component {\n  configure() {\n    const port = ;\n    this.provide("database", port);\n  }\n}\n`,
  });
  const result = runBatou(RUNNERS[0]!, ["deploy", "dev", "--json"], project.dir);
  expect(result.code).toBe(1);
  const errors = result.events.filter((e) => e.event === "error").map((e) => `${e.message} @ ${(e.context as Record<string, unknown>)?.file ?? ""}`);
  expect(errors).toEqual([
    "syntax error: Unexpected ; @ components/db/component.ts",
    "configure() failed: Error: no database configured @ components/thrower/component.ts",
    'unknown key "parallel" in [environment] @ environments/dev.toml',
    'override of an unknown attribute "prot" @ environments/dev.toml',
    'host "localhost" names an unknown component "db" (because components/db/component.ts failed to load) @ environments/dev.toml',
    'resource "database" is required but nothing provides it (because localhost/app, localhost/thrower failed to configure, components/db/component.ts failed to load) @ ',
  ]);
  expect(result.summary).toMatchObject({ ok: false, during: "load" });
  expect(project.deployedNothing()).toBe(true);
});
