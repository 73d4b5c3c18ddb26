/** Environment files and loading: layouts, validation, hosts, overrides. */
import { afterEach, describe, expect, test } from "bun:test";
import { readEnvironmentFile } from "../../lib/engine/environment-file.ts";
import { loadEnvironment } from "../../lib/engine/environment.ts";
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
    expect(prod.settings).toEqual({ connectMethod: "ssh", targetDirectory: "deployment", jobs: 1, timeout: 30 } as never);
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
  test("all keys are read", () => {
    withEnv(
      `[environment]\nconnect_method = "local"\nhost_domain = "example.com"\nservice_user = "app"\ntarget_directory = "/srv/app"\nplatform = "debian"\njobs = 3\ntimeout = 2.5\nbranch = "main"\n`,
    );
    expect(readEnvironmentFile(project!.dir, "dev").settings).toEqual({
      connectMethod: "local",
      hostDomain: "example.com",
      serviceUser: "app",
      targetDirectory: "/srv/app",
      platform: "debian",
      jobs: 3,
      timeout: 2.5,
      branch: "main",
    });
  });

  const bad: [string, string, RegExp][] = [
    ["connect_method", `"telnet"`, /connect_method must be "ssh" or "local"/],
    ["host_domain", `5`, /host_domain must be a string/],
    ["service_user", `true`, /service_user must be a string/],
    ["target_directory", `[]`, /target_directory must be a string/],
    ["platform", `1`, /platform must be a string/],
    ["jobs", `0`, /jobs must be a positive integer/],
    ["jobs", `1.5`, /jobs must be a positive integer/],
    ["timeout", `-1`, /timeout must be a positive number/],
    ["timeout", `"30"`, /timeout must be a positive number/],
    ["branch", `{}`, /branch must be a string/],
  ];
  test.each(bad)("%s = %s is an error with file and line", (key, value, message) => {
    withEnv(`# comment\n[environment]\n${key} = ${value}\n`);
    const text = errorText(thrown(() => readEnvironmentFile(project!.dir, "dev")));
    expect(text).toMatch(message);
    expect(text).toContain("file: environments/dev.toml:3");
  });

  test("unknown keys and sections are errors with their lines, all reported at once", () => {
    withEnv(`[environment]\njobs = 2\nconect_method = "local"\n\n[hosts.a]\ncomponents = []\ncolour = "red"\n\n[provisioner]\nx = 1\n`);
    const error = thrown(() => readEnvironmentFile(project!.dir, "dev"));
    const text = errorText(error);
    expect((error as { errors?: unknown[] }).errors).toHaveLength(3);
    expect(text).toMatch(/unknown key "conect_method" in \[environment\]\nfile: environments\/dev.toml:3/);
    expect(text).toMatch(/unknown key "colour" in \[hosts.a\]\nfile: environments\/dev.toml:7/);
    expect(text).toMatch(/unknown section \[provisioner\]\nfile: environments\/dev.toml:9/);
  });

  test("a TOML syntax error names file and line", () => {
    withEnv(`[environment]\njobs = 2\nbroken = = 3\n`);
    const text = errorText(thrown(() => readEnvironmentFile(project!.dir, "dev")));
    expect(text).toContain("TOML syntax error");
    expect(text).toContain("file: environments/dev.toml:3");
  });
});

describe("hosts", () => {
  test("components, ignore markers, platform, service user and data", () => {
    withEnv(
      `[environment]\nplatform = "debian"\nservice_user = "app"\n[hosts.web1]\ncomponents = ["Hello", "!cron"]\nplatform = "alpine"\nservice_user = "www"\nignore = true\ndata = { role = "primary", weight = 3 }\n[hosts.web2]\ncomponents = ["hello"]\n`,
    );
    const [web1, web2] = readEnvironmentFile(project!.dir, "dev").hosts;
    expect(web1).toMatchObject({
      name: "web1",
      platform: "alpine",
      serviceUser: "www",
      ignore: true,
      data: { role: "primary", weight: 3 },
    });
    expect(web1!.components.map(({ name, ignore }) => ({ name, ignore }))).toEqual([
      { name: "hello", ignore: false },
      { name: "cron", ignore: true },
    ]);
    expect(web2).toMatchObject({ name: "web2", ignore: false, data: {}, platform: undefined });
  });

  test.each([
    ["components", `"hello"`, /components must be an array of strings/],
    ["ignore", `"yes"`, /ignore must be true or false/],
    ["data", `3`, /data must be a table/],
  ])("host key %s = %s is validated", (key, value, message) => {
    withEnv(`[hosts.web]\n${key} = ${value}\n`);
    const text = errorText(thrown(() => readEnvironmentFile(project!.dir, "dev")));
    expect(text).toMatch(message);
    expect(text).toContain("environments/dev.toml:2");
  });
});

describe("loadEnvironment", () => {
  test("hosts get their FQDN, platform default and roots; ignored components still become roots", async () => {
    withEnv(
      `[environment]\nhost_domain = "example.com"\nplatform = "debian"\n[hosts.web1]\ncomponents = ["hello"]\n[hosts."db.other.org"]\ncomponents = ["!hello"]\nplatform = "alpine"\n[components.hello]\nport = "8080"\n`,
      { "components/hello/component.ts": HELLO },
    );
    const env = await loadEnvironment({ projectRoot: project!.dir, name: "dev" });
    const web1 = env.hosts.get("web1")!;
    const db = env.hosts.get("db.other.org")!;
    expect(web1.fqdn).toBe("web1.example.com");
    expect(db.fqdn).toBe("db.other.org");
    expect(web1.platform).toBe("debian");
    expect(db.platform).toBe("alpine");
    expect(env.roots.map((r) => [r.id, r.ignore])).toEqual([
      ["web1/hello", false],
      ["db.other.org/hello", true],
    ]);
    expect(env.roots[0]!.overrides.values).toEqual({ port: "8080" });
    expect(env.roots[0]!.workdir).toBe(`${project!.dir}/work/hello`);
    expect(env.roots[0]!.defdir).toBe(`${project!.dir}/components/hello`);
  });

  test("-p sets the platform of hosts without their own", async () => {
    withEnv(`[hosts.a]\ncomponents = ["hello"]\n[hosts.b]\ncomponents = []\nplatform = "own"\n`, { "components/hello/component.ts": HELLO });
    const env = await loadEnvironment({ projectRoot: project!.dir, name: "dev", platform: "forced" });
    expect(env.hosts.get("a")!.platform).toBe("forced");
    expect(env.hosts.get("b")!.platform).toBe("own");
  });

  test("an unknown component on a host and overrides of an unknown component are errors", async () => {
    withEnv(`[hosts.web]\ncomponents = ["hello", "nginx"]\n\n[components.postgres]\nport = 1\n`, { "components/hello/component.ts": HELLO });
    const text = errorText(await rejected(() => loadEnvironment({ projectRoot: project!.dir, name: "dev" })));
    expect(text).toMatch(/host "web" names an unknown component "nginx"/);
    expect(text).toContain("environments/dev.toml:2");
    expect(text).toContain("host: web");
    expect(text).toMatch(/overrides for an unknown component "postgres"\nfile: environments\/dev.toml:4/);
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

  test("an environment without hosts is an error", async () => {
    withEnv(`[environment]\nconnect_method = "local"\n`);
    const text = errorText(await rejected(() => loadEnvironment({ projectRoot: project!.dir, name: "dev" })));
    expect(text).toContain("no hosts");
  });
});
