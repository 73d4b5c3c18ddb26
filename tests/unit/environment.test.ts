/** Environment files and loading: layouts, the schema's checks, hosts, overrides, secrets, resolver, vfs. */
import { afterEach, describe, expect, test } from "bun:test";
import { parseEnvironmentFile, readEnvironmentFile } from "../../lib/engine/environment-file.ts";
import { defaultSettings } from "../../lib/engine/environment-schema.ts";
import { buildEnvironment, loadEnvironment, type SecretsData } from "../../lib/engine/environment.ts";
import { ConfigurationErrors, throwIfAny } from "../../lib/engine/errors.ts";
import { errorText, rejected, thrown } from "../helpers/model.ts";
import { type TempProject, tempProject } from "../helpers/project.ts";

let project: TempProject | undefined;
afterEach(() => {
  project?.cleanup();
  project = undefined;
});

const HELLO = `import { Component } from "batou";\nexport class Hello extends Component {\n  port = 80;\n}\n`;

function withEnv(toml: string, files: Record<string, string> = {}): TempProject {
  project = tempProject({ "environments/dev.toml": toml, ...files });
  return project;
}

/** Parses TOML text as environments/dev.toml (no files involved). */
function parsed(toml: string | Uint8Array) {
  return parseEnvironmentFile("dev", "environments/dev.toml", typeof toml === "string" ? new TextEncoder().encode(toml) : toml);
}

/** The errors of parsing `toml`, as text (fails the test when there are none). */
function problems(toml: string | Uint8Array): string {
  return errorText(thrown(() => throwIfAny(parsed(toml).errors)));
}

const secrets = (more: Partial<SecretsData>): SecretsData => ({
  file: "environments/dev/secrets.toml.nacl",
  components: {},
  hosts: {},
  files: {},
  values: [],
  ...more,
});

class Hello {}
/** Component definitions for buildEnvironment (the classes are never instantiated there). */
const definitions = (...names: string[]) =>
  new Map(names.map((name) => [name, { name, factory: Hello as never, file: `/p/components/${name}/component.ts`, defdir: `/p/components/${name}` }]));

describe("layouts", () => {
  test("environments/ENV.toml and environments/ENV/environment.toml both work", () => {
    withEnv(`[environment]\nconnect_method = "local"\n[hosts.a]\ncomponents = []\n`);
    project!.write("environments/prod/environment.toml", `[hosts.b]\ncomponents = []\n`);
    const dev = readEnvironmentFile(project!.dir, "dev");
    expect(dev.file).toBe("environments/dev.toml");
    expect(dev.settings.connectMethod).toBe("local");
    const prod = readEnvironmentFile(project!.dir, "prod");
    expect(prod.file).toBe("environments/prod/environment.toml");
    expect(prod.folder).toBe(`${project!.dir}/environments/prod`);
    expect(prod.settings).toEqual(defaultSettings());
    expect(prod.errors).toEqual([]);
  });

  test("both layouts at once, or none, is an error naming the files", () => {
    withEnv(`[hosts.a]\n`);
    project!.write("environments/dev/environment.toml", `[hosts.a]\n`);
    const twice = errorText(thrown(() => readEnvironmentFile(project!.dir, "dev")));
    expect(twice).toContain("environments/dev.toml");
    expect(twice).toContain("environments/dev/environment.toml");
    const missing = errorText(thrown(() => readEnvironmentFile(project!.dir, "staging")));
    expect(missing).toContain('missing environment "staging"');
    expect(missing).toContain("environments/staging.toml");
  });
});

describe("[environment] keys", () => {
  test("defaults: ssh, deployment, one job, 30 s, ssh2, IPv4 required, IPv6 not", () => {
    expect(defaultSettings()).toEqual({
      connectMethod: "ssh",
      targetDirectory: "deployment",
      jobs: 1,
      timeout: 30,
      clean: false,
      sshClient: "ssh2",
      requireV4: true,
      requireV6: false,
    });
  });

  test("every implemented key is read", () => {
    const file = parsed(
      `[environment]\nconnect_method = "local"\nhost_domain = "example.com"\nservice_user = "app"\ntarget_directory = "/srv/app"\nplatform = "debian"\njobs = 3\ntimeout = 2.5\nbranch = "main"\nssh_client = "ssh2"\nrequire_v4 = "optional"\nrequire_v6 = true\n`,
    );
    expect(file.errors).toEqual([]);
    expect(file.settings).toEqual({
      ...defaultSettings(),
      connectMethod: "local",
      hostDomain: "example.com",
      serviceUser: "app",
      targetDirectory: "/srv/app",
      platform: "debian",
      jobs: 3,
      timeout: 2.5,
      branch: "main",
      requireV4: "optional",
      requireV6: true,
    });
  });

  const bad: [string, string, RegExp][] = [
    ["connect_method", `"telnet"`, /connect_method must be "ssh", "local", "vagrant" or "exec"/],
    ["host_domain", `5`, /host_domain must be a non-empty string/],
    ["service_user", `true`, /service_user must be a non-empty string/],
    ["service_user", `""`, /service_user must be a non-empty string/],
    ["target_directory", `[]`, /target_directory must be a non-empty string/],
    ["platform", `1`, /platform must be a non-empty string/],
    ["jobs", `0`, /jobs must be a positive integer/],
    ["jobs", `1.5`, /jobs must be a positive integer/],
    ["jobs", `inf`, /jobs must be a positive integer[^]*given: inf/],
    ["timeout", `-1`, /timeout must be a positive number/],
    ["timeout", `"30"`, /timeout must be a positive number/],
    ["timeout", `nan`, /timeout must be a positive number[^]*given: nan/],
    ["timeout", `inf`, /timeout must be a positive number[^]*given: inf/],
    ["branch", `{}`, /branch must be a non-empty string/],
    ["ssh_client", `"putty"`, /ssh_client must be "ssh2"/],
    ["require_v4", `"yes"`, /require_v4 must be true, false or "optional"/],
    ["require_v6", `1`, /require_v6 must be true, false or "optional"/],
  ];
  test.each(bad)("%s = %s is an error with file and line", (key, value, message) => {
    const text = problems(`# comment\n[environment]\n${key} = ${value}\n`);
    expect(text).toMatch(message);
    expect(text).toContain("file: environments/dev.toml:3");
  });

  // Part of the format, not implemented yet: refused, never silently accepted.
  test.each([
  ])("planned: %s = %s is refused with its line", (key, value, message) => {
    const text = problems(`[environment]\n${key} = ${value}\n`);
    expect(text).toMatch(message);
    expect(text).toContain("file: environments/dev.toml:2");
  });

  test('connect_method = "exec" with its exec command; "vagrant" needs nothing more', () => {
    const file = parsed(`[environment]\nconnect_method = "exec"\nexec = ["kubectl", "exec", "-i", "{host}", "--"]\n`);
    expect(file.errors).toEqual([]);
    expect(file.settings.connectMethod).toBe("exec");
    expect(file.settings.exec).toEqual(["kubectl", "exec", "-i", "{host}", "--"]);
    expect(parsed(`[environment]\nconnect_method = "vagrant"\n`).errors).toEqual([]);
  });

  test.each([
    [`connect_method = "exec"`, /connect_method = "exec" needs the exec command\nfile: environments\/dev.toml:2/],
    [`exec = ["podman", "exec", "-i", "{host}"]`, /exec is only used with connect_method = "exec" \(connect_method is "ssh"\)\nfile: environments\/dev.toml:2/],
    [`connect_method = "exec"\nexec = ["podman", "exec", "-i", "{name}", "{host}"]`, /exec has the unknown placeholder "\{name\}" \(only "\{host\}" is replaced\)\nfile: environments\/dev.toml:3/],
    [`connect_method = "exec"\nexec = []`, /exec must be a non-empty array of non-empty strings/],
    [`connect_method = "exec"\nexec = "podman exec -i {host}"`, /exec must be a non-empty array of non-empty strings[^]*given: "podman exec -i \{host\}"/],
  ])("%s is an error with its line, and only one", (lines, message) => {
    const file = parsed(`[environment]\n${lines}\n`);
    expect(file.errors).toHaveLength(1);
    expect(errorText(new ConfigurationErrors(file.errors))).toMatch(message);
  });

  test("an invalid connect_method is one error, not also one about exec", () => {
    expect(parsed(`[environment]\nconnect_method = "exce"\nexec = ["podman", "exec", "-i", "{host}"]\n`).errors).toHaveLength(1);
  });

  test("unknown keys and sections are errors with their lines, all reported at once", () => {
    const file = parsed(`[environment]\njobs = 2\nconect_method = "local"\n\n[hosts.a]\ncomponents = []\ncolour = "red"\n\n[provisioner]\nx = 1\n`);
    expect(file.errors).toHaveLength(3);
    const text = errorText(new ConfigurationErrors(file.errors));
    expect(text).toMatch(/unknown key "conect_method" in \[environment\]\nfile: environments\/dev.toml:3/);
    expect(text).toMatch(/unknown key "colour" in \[hosts.a\]\nfile: environments\/dev.toml:7/);
    expect(text).toMatch(/unknown section \[provisioner\]\nfile: environments\/dev.toml:9/);
    // What could be read is still read.
    expect(file.settings.jobs).toBe(2);
    expect(file.hosts.map((h) => h.name)).toEqual(["a"]);
  });

  test("a section that is not a table is an error", () => {
    expect(problems(`environment = 3\n[hosts.a]\n`)).toMatch(/environment must be a table \(\[environment\]\)\nfile: environments\/dev.toml:1/);
  });
});

describe("TOML syntax and encoding", () => {
  test("a syntax error names file, line and column", () => {
    const text = problems(`[environment]\njobs = 2\nbroken = = 3\n`);
    expect(text).toContain("TOML syntax error: invalid value");
    expect(text).toContain("file: environments/dev.toml:3:10");
    expect(text).toContain("source: broken = = 3");
  });

  test.each([
    [`[hosts.a]\ncomponents = ["app]\n`, 2],
    [`[components.app]\ngreeting = 'hello\nport = 1\n`, 2],
    [`x = """never closed\n`, 1],
  ])("an unterminated string says so: %j", (toml, line) => {
    const text = problems(toml);
    expect(text).toContain("TOML syntax error: unterminated string");
    expect(text).toContain(`file: environments/dev.toml:${line}`);
  });

  test("a string with a control character in it is not called unterminated", () => {
    expect(problems(`x = "a\u0001b"\n`)).toContain("control characters are not allowed in strings");
  });

  test("invalid UTF-8 is an error naming the line, never deployed as U+FFFD", () => {
    const bytes = new Uint8Array([...new TextEncoder().encode(`[components.app]\nok = "fine"\ngreeting = "caf`), 0xe9, ...new TextEncoder().encode(`"\n`)]);
    const text = problems(bytes);
    expect(text).toContain("the file is not valid UTF-8");
    expect(text).toContain("file: environments/dev.toml:3");
  });
});

describe("hosts", () => {
  test("components, ignore markers, features, platform, service user and data", () => {
    const file = parsed(
      `[environment]\nplatform = "debian"\nservice_user = "app"\n[hosts.web1]\ncomponents = ["Hello", "!cron", "zeo:test"]\nplatform = "alpine"\nservice_user = "www"\nignore = true\ndata = { role = "primary", weight = 3 }\n[hosts.web2]\ncomponents = ["hello"]\n`,
    );
    expect(file.errors).toEqual([]);
    const [web1, web2] = file.hosts;
    expect(web1).toMatchObject({ name: "web1", platform: "alpine", serviceUser: "www", ignore: true, data: { role: "primary", weight: 3 } });
    expect(web1!.components.map(({ name, ignore, features }) => ({ name, ignore, features }))).toEqual([
      { name: "hello", ignore: false, features: [] },
      { name: "cron", ignore: true, features: [] },
      { name: "zeo", ignore: false, features: ["test"] },
    ]);
    expect(web2).toMatchObject({ name: "web2", ignore: false, data: {}, platform: undefined });
  });

  // batou: entries of one name merge, features accumulate in order, ignore is OR-ed.
  test.each([
    [["asdf"], { ignore: false, features: [] }],
    [["!asdf"], { ignore: true, features: [] }],
    [["!asdf:test", "asdf:bar"], { ignore: true, features: ["test", "bar"] }],
    [["asdf:test", "asdf:bar"], { ignore: false, features: ["test", "bar"] }],
  ])("component entries %j", (entries, expected) => {
    const file = parsed(`[hosts.h]\ncomponents = ${JSON.stringify(entries)}\n`);
    expect(file.errors).toEqual([]);
    expect(file.hosts[0]!.components).toEqual([{ name: "asdf", line: 2, ...expected }]);
  });

  test.each([
    ["components", `"hello"`, /components must be an array of strings/],
    ["components", `[1, "app"]`, /components must be an array of strings/],
    ["components", `["app", ""]`, /components: "" is not a component entry/],
    ["components", `["app,"]`, /components: "app," is not a component entry/],
    ["components", `["app:"]`, /components: "app:" is not a component entry/],
    ["components", `["1app"]`, /components: "1app" is not a component entry/],
    ["ignore", `"yes"`, /ignore must be true or false/],
    ["data", `3`, /data must be a table/],
    ["data", `{ started = 1979-05-27T07:32:00Z }`, /data.started is a TOML date or time: write it as a string/],
    ["data", `{ ratio = nan }`, /data.ratio is nan or inf/],
    ["data", `{ list = [1, inf] }`, /data.list\[1\] is nan or inf/],
  ])("host key %s = %s is an error with its line", (key, value, message) => {
    const text = problems(`[hosts.web]\n${key} = ${value}\n`);
    expect(text).toMatch(message);
    expect(text).toContain("environments/dev.toml:2");
  });

  test("a host that is not a table is an error", () => {
    expect(problems(`hosts = { web = 1 }\n`)).toMatch(/host "web" must be a table/);
  });
});

describe("overrides", () => {
  test("tables, inline or as sub-tables, are read as overrides", () => {
    const file = parsed(`[components.app]\nsettings = { a = 1 }\n[components.app.nested]\nb = 2\n`);
    expect(file.errors).toEqual([]);
    expect(file.overrides.app).toEqual({ settings: { a: 1 }, nested: { b: 2 } });
  });

  test.each([
    [`when = 1979-05-27`, /\[components.app\] when is a TOML date or time/],
    [`ratio = inf`, /\[components.app\] ratio is nan or inf/],
    [`deep = { x = [nan] }`, /\[components.app\] deep.x\[0\] is nan or inf/],
  ])("%s is refused with its line", (line, message) => {
    const text = problems(`[components.app]\nport = 1\n${line}\n`);
    expect(text).toMatch(message);
    expect(text).toContain("environments/dev.toml:3");
  });

  test("two sections for one component (names ignore case) are an error", () => {
    expect(problems(`[components.app]\nx = 1\n[components.App]\ny = 2\n`)).toMatch(/\[components.App\] is given twice/);
  });
});

describe("[resolver] and [vfs]", () => {
  test("resolver pins names to one address per family", () => {
    const file = parsed(`[resolver]\n"db.example.com" = "10.0.0.5"\nlocalhost = ["127.0.0.2", "::2"]\n`);
    expect(file.errors).toEqual([]);
    expect({ ...file.resolver }).toEqual({ "db.example.com": ["10.0.0.5"], localhost: ["127.0.0.2", "::2"] });
  });

  test.each([
    [`x = "thisisinvalid"`, /\[resolver\] "x" must be an IP address/],
    [`x = ["1.2.3.4", "1.2.3.5"]`, /\[resolver\] "x" must be one address per family/],
    [`x = 5`, /\[resolver\] "x" must be an IP address/],
  ])("%s is an error with its line", (line, message) => {
    const text = problems(`[resolver]\nok = "::1"\n${line}\n`);
    expect(text).toMatch(message);
    expect(text).toContain("environments/dev.toml:3");
  });

  test("vfs: Developer, Map with rules, and what is refused", () => {
    expect(parsed(`[vfs]\nsandbox = "Developer"\n`).vfs).toEqual({ sandbox: "Developer" });
    expect(parsed(`[vfs]\nsandbox = "Map"\n"/a" = "/a1"\n"/a/b" = "/a2"\n`).vfs).toEqual({
      sandbox: "Map",
      rules: [
        ["/a", "/a1"],
        ["/a/b", "/a2"],
      ],
    });
    expect(problems(`[vfs]\nsandbox = "Sandbox"\n`)).toMatch(/\[vfs\] sandbox must be "Developer" or "Map"\nfile: environments\/dev.toml:2/);
    expect(problems(`[vfs]\n`)).toMatch(/\[vfs\] sandbox must be "Developer" or "Map"/);
    expect(problems(`[vfs]\nsandbox = "Map"\netc = "/none"\n`)).toMatch(/unknown key "etc" in \[vfs\]/);
    expect(problems(`[vfs]\nsandbox = "Map"\n"/a" = "relative"\n`)).toMatch(/\[vfs\] "\/a" must be an absolute path/);
    expect(problems(`[vfs]\nsandbox = "Developer"\n"/a" = "/b"\n`)).toMatch(/unknown key "\/a" in \[vfs\]/);
  });
});

describe("buildEnvironment (pure)", () => {
  test("hosts get their FQDN, platform default, roots with features; overrides keep file and line", () => {
    const file = parsed(
      `[environment]\nhost_domain = "example.com"\nplatform = "debian"\n[hosts.web1]\ncomponents = ["hello:test"]\n[hosts."db.other.org"]\ncomponents = ["!hello"]\nplatform = "alpine"\n[components.hello]\nport = "8080"\n`,
    );
    const env = buildEnvironment(file, definitions("hello"), undefined, { projectRoot: "/p" });
    expect(env.hosts.get("web1")!.fqdn).toBe("web1.example.com");
    expect(env.hosts.get("db.other.org")!.fqdn).toBe("db.other.org");
    expect(env.hosts.get("web1")!.platform).toBe("debian");
    expect(env.hosts.get("db.other.org")!.platform).toBe("alpine");
    expect(env.roots.map((r) => [r.id, r.ignore, r.features])).toEqual([
      ["web1/hello", false, ["test"]],
      ["db.other.org/hello", true, []],
    ]);
    expect({ ...env.roots[0]!.overrides.values }).toEqual({ port: "8080" });
    expect(env.roots[0]!.overrides.sources.port).toBe("environments/dev.toml");
    expect(env.roots[0]!.overrides.lines?.port).toBe(10);
    expect(env.roots[0]!.workdir).toBe("/p/work/hello");
  });


  test("ssh_client: the environment's for every host, a host's own wins", () => {
    const file = parsed(`[environment]\nssh_client = "openssh"\n[hosts.a]\ncomponents = []\n[hosts.b]\ncomponents = []\nssh_client = "ssh2"\n`);
    expect(file.errors).toEqual([]);
    const env = buildEnvironment(file, definitions("hello"), undefined, { projectRoot: "/p" });
    expect(env.hosts.get("a")!.sshClient).toBe("openssh");
    expect(env.hosts.get("b")!.sshClient).toBe("ssh2");
    const plain = buildEnvironment(parsed(`[hosts.a]\ncomponents = []\n`), definitions("hello"), undefined, { projectRoot: "/p" });
    expect(plain.hosts.get("a")!.sshClient).toBe("ssh2");
  });
  test("the file's own errors are reported with the model's, sorted by line", () => {
    const file = parsed(`[hosts.web]\ncomponents = ["hello", "nginx"]\ncolour = 1\n[components.postgres]\nport = 1\n`);
    const error = thrown(() => buildEnvironment(file, definitions("hello"), undefined, { projectRoot: "/p" }));
    const text = errorText(error);
    expect(text).toMatch(/^host "web" names an unknown component "nginx"\nfile: environments\/dev.toml:2\nhost: web/);
    expect(text).toMatch(/---\nunknown key "colour" in \[hosts.web\]\nfile: environments\/dev.toml:3/);
    expect(text).toMatch(/---\noverrides for an unknown component "postgres"\nfile: environments\/dev.toml:4/);
  });

  test("a key set in the environment and in the secrets is an error naming both files and the line", () => {
    const file = parsed(`[hosts.web]\ncomponents = ["hello"]\ndata = { role = "a" }\n[components.hello]\nport = 1\n`);
    const text = errorText(
      thrown(() =>
        buildEnvironment(file, definitions("hello"), secrets({ components: { hello: { port: 2 } }, hosts: { web: { data: { role: "b" } } } }), {
          projectRoot: "/p",
        }),
      ),
    );
    expect(text).toMatch(/hello.port is set both in the environment and in the secrets\nfile: environments\/dev.toml:5/);
    expect(text).toContain("secrets file: environments/dev/secrets.toml.nacl");
    expect(text).toMatch(/host data "role" is set both in the environment and in the secrets\nfile: environments\/dev.toml:3/);
  });

  // Keys that name things every JS object has must not collide with them.
  test.each(["__proto__", "constructor", "toString", "hasOwnProperty"])("%s as a key in environment and secrets is an ordinary key", (key) => {
    const file = parsed(`[hosts.web]\ncomponents = ["hello"]\n[hosts.web.data]\n"${key}" = "env"\n`);
    const secretData = JSON.parse(`{"web": {"data": {"other": 1}}}`);
    const secretComponents = JSON.parse(`{"hello": {"${key}": "s"}}`);
    const env = buildEnvironment(file, definitions("hello"), secrets({ hosts: secretData, components: secretComponents }), { projectRoot: "/p" });
    const data = env.hosts.get("web")!.data;
    expect(Object.hasOwn(data, key)).toBe(true);
    expect(data[key]).toBe("env");
    expect(data.other).toBe(1);
    expect(Object.hasOwn(env.roots[0]!.overrides.values, key)).toBe(true);
  });

  test("secrets for an unknown host or component, and dates or nan in secrets, are errors", () => {
    const file = parsed(`[hosts.web]\ncomponents = ["hello"]\n`);
    const text = errorText(
      thrown(() =>
        buildEnvironment(
          file,
          definitions("hello"),
          secrets({ hosts: { db: { data: {} }, web: { data: { t: new Date(0) } } }, components: { nope: { a: 1 }, hello: { n: Number.NaN } } }),
          { projectRoot: "/p" },
        ),
      ),
    );
    expect(text).toContain('secrets for an unknown host "db"');
    expect(text).toContain('overrides for an unknown component "nope"');
    expect(text).toContain("host data t is a TOML date or time");
    expect(text).toContain("hello.n is nan or inf");
  });

  test("an unknown component whose file failed to load is marked as a knock-on error and reported last", () => {
    const file = parsed(`[hosts.web]\ncomponents = ["app", "other"]\n[components.app]\nport = 1\n`);
    const error = thrown(() =>
      buildEnvironment(file, definitions(), undefined, { projectRoot: "/p", failed: new Map([["app", "components/app/component.ts"]]) }),
    ) as unknown as ConfigurationErrors;
    expect(error.errors.map((e) => e.message)).toEqual([
      'host "web" names an unknown component "other"',
      'host "web" names an unknown component "app" (because components/app/component.ts failed to load)',
      'overrides for an unknown component "app" (because components/app/component.ts failed to load)',
    ]);
  });
});

describe("loadEnvironment", () => {
  test("reads the file and the components", async () => {
    withEnv(`[hosts.a]\ncomponents = ["hello"]\n[hosts.b]\ncomponents = []\nplatform = "own"\n`, { "components/hello/component.ts": HELLO });
    const env = await loadEnvironment({ projectRoot: project!.dir, name: "dev", platform: "forced" });
    expect(env.hosts.get("a")!.platform).toBe("forced");
    expect(env.hosts.get("b")!.platform).toBe("own");
    expect(env.roots[0]!.defdir).toBe(`${project!.dir}/components/hello`);
  });

  test("two components with one name are an error naming both files", async () => {
    withEnv(`[hosts.web]\ncomponents = ["hello"]\n`, {
      "components/a/component.ts": HELLO,
      "components/b/component.ts": HELLO.replace("port = 80", "port = 81"),
    });
    const text = errorText(await rejected(() => loadEnvironment({ projectRoot: project!.dir, name: "dev" })));
    expect(text).toContain('two components are named "hello"');
    expect(text).toContain("components/a/component.ts");
    expect(text).toContain("components/b/component.ts");
  });

  test("file errors and component load errors come in one run", async () => {
    withEnv(`[environment]\nparallel = 1\n[hosts.web]\ncomponents = ["hello", "broken"]\n`, {
      "components/hello/component.ts": HELLO,
      "components/broken/component.ts": `import { Component } from "batou";\nexport class Broken extends Component {\n  x = ;\n}\n`,
    });
    const error = (await rejected(() => loadEnvironment({ projectRoot: project!.dir, name: "dev" }))) as unknown as ConfigurationErrors;
    const messages = error.errors.map((e) => e.message);
    expect(messages[0]).toBe("syntax error: Unexpected ;");
    expect(messages).toContain('unknown key "parallel" in [environment]');
    expect(messages.at(-1)).toBe('host "web" names an unknown component "broken" (because components/broken/component.ts failed to load)');
  });

  test("an environment without hosts is an error", async () => {
    withEnv(`[environment]\nconnect_method = "local"\n`);
    const text = errorText(await rejected(() => loadEnvironment({ projectRoot: project!.dir, name: "dev" })));
    expect(text).toContain("no hosts");
  });
});
