/**
 * Ctrl-C trials (issue 11 item 3): a deploy to 3 test hosts, each writing a
 * tree of 10,000 files, interrupted with SIGINT at a random moment; measured:
 * seconds from the SIGINT until the hosts are quiet (no agent left in the
 * target directory, every lock released), and until batou exited.
 *
 *   BATOU_TS_TESTHOSTS_DIR=/tmp/tb-NAME bun bench/interrupt.ts [TRIALS] [WITHIN] [ssh2|openssh]
 *
 * WITHIN (seconds) narrows the random moment to the deploy's first seconds
 * (loading, connecting, shipping), which a whole deploy's span rarely hits.
 *
 * Prints one line per trial and the min / median / max. Asserts nothing.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { startTestbed } from "../tests/testbed/testbed.ts";
import { finish, makeProject, pgrep, startDeploy } from "../tests/remote/remote-helpers.ts";
import { VERSION } from "../lib/version.ts";
import { summarize } from "./stats.ts";

const TRIALS = Number(process.argv[2] ?? 20);
const WITHIN = process.argv[3] === undefined || process.argv[3] === "" ? undefined : Number(process.argv[3]);
const CLIENT = process.argv[4] ?? "ssh2";
const HOSTS = ["host1", "host2", "host3"];
const COUNT = 10_000;
const tb = await startTestbed(HOSTS.length);
const target = `t-interrupt-${process.pid}`;
const project = makeProject(tb, {
  "components/many/component.ts": `import { Component, File } from "batou";
export class Many extends Component {
  count = 10;
  configure() { for (let i = 0; i < this.count; i++) this.add(new File("f" + i + ".txt", { content: "file " + i + "\\n" })); }
}
`,
  "environments/trial.toml": [
    "[environment]", `target_directory = "${target}"`, "timeout = 30", `ssh_client = "${CLIENT}"`,
    ...HOSTS.flatMap((h) => [`[hosts.${h}]`, 'components = ["many"]']),
    "[components.many]", `count = ${COUNT}`, "",
  ].join("\n"),
});
const home = (host: string, path: string) => `${tb.roots[host]}/home/deploy/${target}/${path}`;
const written = () => HOSTS.reduce((n, h) => n + (existsSync(home(h, "work/many")) ? readdirSync(home(h, "work/many")).length : 0), 0);
const quiet = () => HOSTS.every((h) => !existsSync(home(h, ".batou-lock"))) && pgrep(`batou-${VERSION} agent`, `/home/deploy/${target}`).length === 0;

// a first full deploy ships the executable and the project, so trials interrupt the file writing
const first = await finish(startDeploy(project, "trial"));
if (first.code !== 0) throw new Error(`the first deploy failed: ${JSON.stringify(first.errors)}`);
const full = first.summary?.seconds ?? 10;
const span = WITHIN ?? full;
console.log(`${CLIENT}: a full deploy takes ${full.toFixed(1)} s; SIGINT at a random moment within its first ${span.toFixed(1)} s`);

const toQuiet: number[] = [];
const toExit: number[] = [];
const exitCodes: Record<number, number> = {};
let summariesRight = 0;
for (let trial = 1, attempts = 0; trial <= TRIALS && attempts < 2 * TRIALS; attempts++) {
  for (const h of HOSTS) rmSync(home(h, "work/many"), { recursive: true, force: true });
  const proc = startDeploy(project, "trial");
  let ended = false;
  void proc.exited.then(() => (ended = true));
  const wait = 0.3 + Math.random() * span;
  await Bun.sleep(wait * 1000);
  if (ended) {
    // the first deploy (which shipped batou) set the span: a trial can end by itself before the moment drawn
    const result = await finish(proc);
    console.log(`(a deploy ended by itself, exit ${result.code}, before its SIGINT after ${wait.toFixed(2)} s: not a trial) ${JSON.stringify(result.errors)}`);
    continue;
  }
  const before = written();
  const began = performance.now();
  proc.kill("SIGINT");
  let exited = 0;
  void proc.exited.then(() => (exited = (performance.now() - began) / 1000));
  while (!quiet() && performance.now() - began < 60_000) await Bun.sleep(10);
  const seconds = (performance.now() - began) / 1000;
  const result = await finish(proc);
  toQuiet.push(seconds);
  toExit.push(exited || (performance.now() - began) / 1000);
  exitCodes[result.code] = (exitCodes[result.code] ?? 0) + 1;
  const files = written();
  if (result.summary?.changed === files) summariesRight++;
  console.log(
    `trial ${trial}: SIGINT after ${wait.toFixed(2)} s (${before} files), exit ${result.code} after ${toExit.at(-1)!.toFixed(2)} s,` +
      ` hosts quiet after ${seconds.toFixed(2)} s, ${files} of ${COUNT * HOSTS.length} files written, summary "changed": ${result.summary?.changed}`,
  );
  if (result.code !== 130) console.log(`  not 130: ${JSON.stringify(result.errors)}\n  stderr: ${result.stderr.slice(0, 2000)}`);
  trial++;
}
const line = (name: string, values: number[]) => {
  const s = summarize(values);
  console.log(`${name}: min ${Math.min(...values).toFixed(2)} s, median ${s.median.toFixed(2)} s, max ${Math.max(...values).toFixed(2)} s (${values.length} trials)`);
};
line("hosts quiet", toQuiet);
line("batou exited", toExit);
console.log(`exit codes: ${JSON.stringify(exitCodes)}; summaries whose "changed" is the number of files written: ${summariesRight} of ${toQuiet.length}`);
project.remove();
for (const h of HOSTS) rmSync(`${tb.roots[h]}/home/deploy/${target}`, { recursive: true, force: true });
