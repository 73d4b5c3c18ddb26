/**
 * Writes tests/migrate/expected/local.json: what Python batou's `deploy local` of the
 * fixture project (tests/migrate/fixture.ts) leaves in work/. The migration test
 * deploys the migrated project and compares. CI has no batou source (nothing is
 * fetched there), so the result is committed; regenerate it after changing the
 * fixture, on a machine with batou's dependencies (Debian: python3-execnet,
 * python3-jinja2, python3-yaml, python3-requests), with a batou checkout's git
 * directory (the `fetch` tool's mirror of flyingcircusio/batou, or a `git clone
 * --bare`):
 *
 *   BATOU_MIRROR=/path/to/flyingcircusio/batou.git bun tests/migrate/expected/regenerate.ts
 *
 * It runs Debian's /usr/bin/python3 (where those packages are) unless
 * BATOU_PYTHON names another interpreter (a python3 earlier on PATH, e.g.
 * pyenv's, lacks them).
 *
 * The batou source is extracted into a temporary folder (never into this
 * repository) with stubs for ConfigUpdater and remote-pdb, which Debian does not
 * package and the fixture's `local` environment does not use.
 */
import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { batouProject } from "../fixture.ts";

const mirror = process.env.BATOU_MIRROR;
const python = process.env.BATOU_PYTHON ?? (existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
if (!mirror) throw new Error("set BATOU_MIRROR to a git directory of flyingcircusio/batou");
const source = mkdtempSync(join(tmpdir(), "batou-source-"));
const project = mkdtempSync(join(tmpdir(), "batou-fixture-"));
try {
  execFileSync("sh", ["-c", `git --git-dir="$0" archive HEAD | tar -x -C "$1"`, mirror, source]);
  const version = /^version = "(.*)"/m.exec(readFileSync(join(source, "pyproject.toml"), "utf8"))![1];
  const stubs = join(source, "stubs");
  mkdirSync(join(stubs, "configupdater"), { recursive: true });
  mkdirSync(join(stubs, "remote_pdb"));
  mkdirSync(join(stubs, `batou-${version}.dist-info`));
  writeFileSync(join(stubs, "configupdater/__init__.py"), "class ConfigUpdater:\n    def __init__(self, *a, **kw):\n        raise NotImplementedError('stub')\n");
  writeFileSync(join(stubs, "remote_pdb/__init__.py"), "from pdb import set_trace\n");
  writeFileSync(join(stubs, `batou-${version}.dist-info/METADATA`), `Metadata-Version: 2.1\nName: batou\nVersion: ${version}\n`);
  for (const [path, content] of Object.entries(batouProject())) {
    mkdirSync(join(project, path, ".."), { recursive: true });
    writeFileSync(join(project, path), content);
  }
  writeFileSync(join(project, ".batou.json"), '{\n    "migration": {\n        "version": 2400\n    }\n}\n');
  execFileSync(python, ["-c", "import sys; sys.argv = ['batou', 'deploy', 'local']; from batou.main import main; sys.exit(main())"], {
    cwd: project,
    env: { ...process.env, APPENV_BASEDIR: project, PYTHONPATH: `${join(source, "src")}:${stubs}` },
    stdio: "inherit",
  });
  const commit = execFileSync("git", ["--git-dir", mirror, "rev-parse", "HEAD"], { encoding: "utf8" }).trim();
  const files: Record<string, unknown> = {};
  const work = join(project, "work");
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const path = join(dir, entry);
      const rel = relative(work, path);
      if (rel === ".batou-diffs" || rel.startsWith(".batou")) continue;
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) files[rel] = { symlink: relative(dir, join(project, relative(project, readlinkSync(path)))) };
      else if (stat.isDirectory()) {
        files[rel] = { directory: true };
        visit(path);
      } else files[rel] = { content: readFileSync(path, "utf8"), mode: (stat.mode & 0o777).toString(8) };
    }
  };
  visit(work);
  writeFileSync(join(import.meta.dir, "local.json"), `${JSON.stringify({ batou: `${version} (${commit.slice(0, 8)})`, files }, null, 2)}\n`);
  console.log(`wrote tests/migrate/expected/local.json from batou ${version}`);
} finally {
  rmSync(source, { recursive: true, force: true });
  rmSync(project, { recursive: true, force: true });
}
