/**
 * `VirtualEnv` with `Requirements` and `Package`, built by the real
 * `python3 -m venv` and pip, installing tiny wheels made here from a local
 * folder (`noIndex`, `findLinks`): batou's AppEnv cases (an environment per
 * requirements hash, the link switched, the one before the previous removed),
 * a rebuild for another interpreter, nothing done when nothing changed.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { environmentHash } from "../../lib/library/virtualenv.ts";
import { cleanupProjects, deploy, makeProject, scratchDir, type Project } from "./helpers.ts";
import { PYTHON, wheel } from "./library2-fixtures.ts";

afterAll(cleanupProjects, 60_000);
setDefaultTimeout(180_000);

const hasVenv = existsSync(PYTHON) && Bun.spawnSync([PYTHON, "-c", "import ensurepip, venv"]).exitCode === 0;

const component = (wheels: string, python = PYTHON, extra = "") => `import { Component, Package, Requirements, VirtualEnv } from "batou";
export class App extends Component {
  configure() {
    const venv = this.add(new VirtualEnv("venv", { python: "${python}", noIndex: true, findLinks: ["${wheels}"] }));
    venv.add(new Requirements("requirements.lock"));
    venv.add(new Package("shout", { version: "1.0" }));${extra}
  }
}
`;

describe("environmentHash (pure)", () => {
  test("another interpreter version, path, requirement or pip option is another environment", () => {
    const base = { pythonVersion: "CPython 3.11.2", pythonPath: "/usr/bin/python3.11", requirements: "a==1\n", pipOptions: [] };
    const hash = environmentHash(base);
    expect(hash).toMatch(/^[0-9a-f]{12}$/);
    expect(environmentHash({ ...base })).toBe(hash);
    for (const change of [{ pythonVersion: "CPython 3.11.9" }, { pythonPath: "/opt/python/bin/python3.11" }, { requirements: "a==2\n" }, { pipOptions: ["--no-index"] }]) {
      expect(environmentHash({ ...base, ...change })).not.toBe(hash);
    }
  });
});

describe.skipIf(!hasVenv)("VirtualEnv (python3 -m venv, pip from a local wheel folder)", () => {
  let wheels: string;
  beforeAll(() => {
    wheels = scratchDir("batou-wheels-");
    wheel(wheels, "greeting", "1.0");
    wheel(wheels, "greeting", "2.0");
    wheel(wheels, "shout", "1.0", ["greeting"]);
  });

  const envs = (p: Project) => readdirSync(join(p.work("app"), ".venv.envs")).sort();
  const current = (p: Project) => readlinkSync(join(p.work("app"), "venv"));
  const value = (p: Project, module: string) => Bun.spawnSync([join(p.work("app"), "venv/bin/python"), "-c", `import ${module}; print(${module}.VALUE)`]).stdout.toString().trim();

  test("an environment per requirements hash, switched by the link; the one before the previous removed; idempotent", async () => {
    const p = makeProject({ "components/app/component.ts": component(wheels), "components/app/requirements.lock": "greeting==1.0\n" }, ["app"]);
    const predicted = await deploy(p, { predict: true });
    expect(predicted.errors).toEqual([]);
    expect(predicted.logs.some((line) => line.startsWith(`${join(p.work("app"), "venv")}: no environment yet; build CPython 3.`))).toBe(true);
    expect(existsSync(p.work("app"))).toBe(false);

    const first = await deploy(p);
    expect(first.errors).toEqual([]);
    expect(lstatSync(join(p.work("app"), "venv")).isSymbolicLink()).toBe(true);
    expect(value(p, "greeting")).toBe("greeting 1.0");
    expect(value(p, "shout")).toBe("shout 1.0");
    const [one] = envs(p);
    expect(envs(p)).toEqual([one!]);
    expect(current(p)).toBe(`.venv.envs/${one}`);
    expect(readFileSync(join(p.work("app"), ".venv.envs", one!, "requirements.txt"), "utf8")).toBe("greeting==1.0\nshout==1.0\n");

    const second = await deploy(p);
    expect(second.changed).toEqual([]);

    // a changed lock file (even a comment) is a new environment beside the old one
    p.write("components/app/requirements.lock", "# pinned\ngreeting==2.0\n");
    expect((await deploy(p)).errors).toEqual([]);
    expect(value(p, "greeting")).toBe("greeting 2.0");
    const two = current(p).split("/")[1]!;
    expect(envs(p)).toEqual([one!, two].sort());
    expect((await deploy(p)).changed).toEqual([]);
    expect(envs(p)).toEqual([one!, two].sort());

    p.write("components/app/requirements.lock", "# pinned again\ngreeting==2.0\n");
    expect((await deploy(p)).errors).toEqual([]);
    const three = current(p).split("/")[1]!;
    expect(envs(p)).toEqual([two, three].sort());

    // back to the previous lock file: its environment is still there, only the link switches
    p.write("components/app/requirements.lock", "# pinned\ngreeting==2.0\n");
    const back = await deploy(p);
    expect(back.logs.some((line) => line.includes("switch back; use CPython") && line.includes(two))).toBe(true);
    expect(current(p)).toBe(`.venv.envs/${two}`);

    // a failing pip install: an error with pip's output, the link stays on the working environment
    p.write("components/app/requirements.lock", "greeting==9.9\n");
    const failed = await deploy(p);
    expect(failed.errors[0]?.message).toBe("pip install failed");
    expect(String(failed.errors[0]?.context.output)).toContain("greeting==9.9");
    expect(failed.errors[0]?.context.component).toBe("App > VirtualEnv('venv')");
    expect(current(p)).toBe(`.venv.envs/${two}`);
    expect(value(p, "greeting")).toBe("greeting 2.0");

    // another interpreter (a copy of python3's binary) builds another environment; the failed build's folder goes
    const other = join(scratchDir("batou-python-"), "py");
    expect(Bun.spawnSync([PYTHON, "-m", "venv", "--copies", "--without-pip", other]).exitCode).toBe(0);
    p.write("components/app/requirements.lock", "# pinned\ngreeting==2.0\n");
    p.write("components/app/component.ts", component(wheels, join(other, "bin/python3")));
    const switched = await deploy(p);
    expect(switched.errors).toEqual([]);
    expect(switched.logs.some((line) => line.includes("interpreter or requirements changed"))).toBe(true);
    const four = current(p).split("/")[1]!;
    expect([one, two, three]).not.toContain(four);
    expect(envs(p)).toEqual([two, four].sort());
    expect(value(p, "greeting")).toBe("greeting 2.0");
    expect((await deploy(p)).changed).toEqual([]);
  });

  test("a Package outside a VirtualEnv is an error", async () => {
    const p = makeProject(
      { "components/app/component.ts": `import { Component, Package } from "batou";\nexport class App extends Component { configure() { this.add(new Package("six", { version: "1.16.0" })); } }\n` },
      ["app"],
    );
    const run = await deploy(p);
    expect(run.errors[0]?.message).toBe("Package must be added to a VirtualEnv");
    expect(run.errors[0]?.context.component).toBe("App > Package('six==1.16.0')");
  });
});

// A real change of the interpreter's version, where this machine has two (pyenv's and Debian's).
const pyenv = Bun.spawnSync(["sh", "-c", "ls /root/.pyenv/versions/*/bin/python3 2>/dev/null | head -1"]).stdout.toString().trim();
const versionOf = (python: string) => Bun.spawnSync([python, "-c", "import platform; print(platform.python_version())"]).stdout.toString().trim();
describe.skipIf(!hasVenv || !pyenv || versionOf(pyenv) === versionOf(PYTHON))("VirtualEnv: another interpreter version", () => {
  test("the environment is rebuilt with the new version", async () => {
    const wheels = scratchDir("batou-wheels-");
    wheel(wheels, "greeting", "1.0");
    wheel(wheels, "shout", "1.0", ["greeting"]);
    const p = makeProject({ "components/app/component.ts": component(wheels), "components/app/requirements.lock": "greeting==1.0\n" }, ["app"]);
    expect((await deploy(p)).errors).toEqual([]);
    p.write("components/app/component.ts", component(wheels, pyenv));
    expect((await deploy(p)).errors).toEqual([]);
    const version = Bun.spawnSync([join(p.work("app"), "venv/bin/python"), "-c", "import platform; print(platform.python_version())"]).stdout.toString().trim();
    expect(version).toBe(versionOf(pyenv));
  });
});
