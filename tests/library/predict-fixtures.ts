/**
 * The project of the `-P` on an empty host tests (locally and over SSH): one
 * root per library component of the command, VCS, archive and cron family,
 * with the upstream repository and the archive they use.
 */
import { expect } from "bun:test";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Fixtures {
  /** A git repository: `main` at "two", tag `v1` at "one". */
  upstream: string;
  /** `pkg.tar.gz` holding `pkg/bin/tool`. */
  archive: string;
  archiveChecksum: string;
}

function sh(command: string, cwd: string): void {
  const env = { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@x", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@x" };
  const r = Bun.spawnSync(["sh", "-c", command], { cwd, env });
  if (r.exitCode !== 0) throw new Error(`${command}: ${r.stderr}`);
}

/** Creates the fixtures in `dir` (readable by every user, for a service user on a test host). */
export function fixtures(dir: string): Fixtures {
  const upstream = join(dir, "upstream");
  mkdirSync(upstream, { recursive: true });
  sh("git init -q -b main && echo one > README && git add . && git commit -q -m one && git tag v1 && echo two > README && git commit -q -am two", upstream);
  mkdirSync(join(dir, "src/pkg/bin"), { recursive: true });
  writeFileSync(join(dir, "src/pkg/bin/tool"), "#!/bin/sh\necho tool\n");
  sh("tar -czf ../pkg.tar.gz pkg", join(dir, "src"));
  const archive = join(dir, "pkg.tar.gz");
  sh(`chmod -R a+rX ${dir}`, dir);
  chmodSync(dir, 0o755);
  const archiveChecksum = new Bun.CryptoHasher("sha256").update(readFileSync(archive)).digest("hex");
  return { upstream, archive, archiveChecksum };
}

/** One component file per root: `components/<root>/component.ts`. */
export function emptyHostProject(fx: Fixtures, options: { url: string; cronUser?: string }): Record<string, string> {
  const user = options.cronUser ? `{ user: ${JSON.stringify(options.cronUser)} }` : "";
  const file = (imports: string, name: string, body: string) =>
    `import { Component, ${imports} } from "batou";\nexport class ${name} extends Component {\n  configure() {\n${body}\n  }\n}\n`;
  return {
    "components/steps/component.ts": file(
      "Command, File",
      "Steps",
      `    this.add(new Command("mkdir -p data && touch data/.initialized", { unless: "test -f data/.initialized" }));
    this.add(new File("bin/migrate", { content: "#!/bin/sh\\ntouch migrated\\n", mode: 0o755, leadingDirs: true }));
    this.add(new Command("bin/migrate", { creates: "migrated" }));`,
    ),
    "components/checkouts/component.ts": file(
      "GitClone",
      "Checkouts",
      `    this.add(new GitClone(${JSON.stringify(fx.upstream)}, { target: "branch", branch: "main" }));
    this.add(new GitClone(${JSON.stringify(fx.upstream)}, { target: "tag", revision: "v1" }));`,
    ),
    "components/fetch/component.ts": file(
      "Download, Extract",
      "Fetch",
      `    const download = this.add(new Download(${JSON.stringify(options.url)}, { checksum: "sha256:${fx.archiveChecksum}" }));
    this.add(new Extract(download.target!, { target: "pkg", stripComponents: 1 }));`,
    ),
    "components/unpack/component.ts": file("Extract", "Unpack", `    this.add(new Extract(${JSON.stringify(fx.archive)}, { target: "unpacked" }));`),
    "components/jobs/component.ts": file("CronJob", "Jobs", `    this.add(new CronJob("bin/cleanup", { timing: "@daily" }));`),
    "components/cron/component.ts": file("CronTab", "Cron", `    this.add(new CronTab(${user}));`),
    "components/supervisorroot/component.ts": file("Supervisor", "Supervisorroot", "    this.add(new Supervisor());"),
    "components/daemons/component.ts": file(
      "Program, Service",
      "Daemons",
      `    this.add(new Program("sleeper", { command: "/bin/sleep", args: "3600", options: { startsecs: 1 } }));
    this.add(new Service("batou-predict-svc", { command: "/bin/sleep 3601", startSeconds: 1 }));`,
    ),
  };
}

/** The root names of `emptyHostProject`, in order. */
export const EMPTY_HOST_ROOTS = ["steps", "checkouts", "fetch", "unpack", "jobs", "cron", "supervisorroot", "daemons"];

/** What -P must report for `emptyHostProject` on an empty host (`work(root)`: the root's work directory there). */
export function expectPrediction(run: { changed: string[]; logs: string[]; diffs: Record<string, any>[] }, work: (root: string) => string): void {
  for (const root of EMPTY_HOST_ROOTS) expect(run.logs).toContain(`would create the work directory ${work(root)}`);
  // the components themselves, not the files they write
  const changed = (root: string) => run.changed.filter((path) => path.startsWith(`${root} > `) && !/ > (File|Content|Directory|Mode)\(/.test(path));
  expect(changed("Steps")).toEqual(["Steps > Command('mkdir -p data && touch data/.initialized')", "Steps > Command('bin/migrate')"]);
  expect(changed("Checkouts").length).toBe(2);
  expect(changed("Fetch").map((path) => path.split(" > ")[1]!.split("(")[0])).toEqual(["Download", "Extract"]);
  expect(changed("Unpack")).toEqual(["Unpack > Extract('pkg.tar.gz')"]);
  expect(changed("Cron")).toEqual(["Cron > CronTab > InstallCrontab", "Cron > CronTab"]);
  // the check ran in an empty stand-in for the work directory: no marker there, so the step would run
  expect(run.logs.some((line) => line.startsWith('run: mkdir -p data && touch data/.initialized (check "test -f data/.initialized" exited with 1'))).toBe(true);
  expect(run.logs.filter((line) => line.startsWith("clone ")).length).toBe(2);
  expect(run.logs.some((line) => line.startsWith("would extract ") && line.includes("once it exists"))).toBe(true);
  expect(run.logs.some((line) => line.startsWith("extract 1 file(s) into ") && line.includes("pkg/bin/tool"))).toBe(true);
  // one diff for the crontab: against the installed one
  expect(run.diffs.filter((diff) => String(diff.component).startsWith("Cron > ")).map((diff) => String(diff.path))).toEqual([expect.stringMatching(/^crontab of /)]);
  expect(changed("Supervisorroot")).toEqual(["Supervisorroot > Supervisor"]);
  expect(run.logs).toContain(`start supervisord (${work("supervisorroot")}/etc/supervisord.conf)`);
  expect(changed("Daemons")).toEqual(["Daemons > Program('sleeper')", "Daemons > Service('batou-predict-svc')"]);
  expect(run.logs).toContain("start sleeper (not known to supervisord yet)");
  expect(run.logs).toContain("start batou-predict-svc: not running");
  expect(run.diffs.map((diff) => diff.path)).toContain(`${work("supervisorroot")}/etc/supervisor.d/batou-predict-svc.conf`);
}
