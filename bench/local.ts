/**
 * Local scenarios: configuring 1,000 components, a no-op deploy of 1,000
 * files, and the start-up of the compiled executable.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configure } from "../lib/engine/configure.ts";
import { loadEnvironment } from "../lib/engine/environment.ts";
import { measure } from "./stats.ts";

const REPO = new URL("..", import.meta.url).pathname;

/** A temporary project with one component of `count` files. */
function manyFilesProject(count: number): string {
  const dir = mkdtempSync(join(tmpdir(), "batou-bench-"));
  mkdirSync(join(dir, "components/many"), { recursive: true });
  mkdirSync(join(dir, "environments"));
  writeFileSync(
    join(dir, "components/many/component.ts"),
    `import { Component, File } from "batou";
export class Many extends Component {
  count = ${count};
  configure() {
    for (let i = 0; i < this.count; i++) {
      this.add(new File(\`files/f\${i}.conf\`, { content: \`file \${i} on \${this.host.name}\\n\`, leadingDirs: i === 0 }));
    }
  }
}
`,
  );
  writeFileSync(join(dir, "environments/local.toml"), `[environment]\nconnect_method = "local"\n[hosts.localhost]\ncomponents = ["many"]\n`);
  return dir;
}

function run(argv: string[], cwd: string): void {
  const result = Bun.spawnSync(argv, { cwd, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
  if (result.exitCode !== 0) throw new Error(`${argv.join(" ")} failed: ${result.stderr.toString()}`);
}

export async function benchConfigure(runs: number): Promise<number[]> {
  const dir = manyFilesProject(1000);
  try {
    // In-process: load once, then time configure alone (what the goal is about).
    const environment = await loadEnvironment({ projectRoot: dir, name: "local" });
    return await measure(runs, () => {
      configure(environment);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A temporary project with 1,000 *root* components: 10 component classes on
 * each of 100 hosts (the fixpoint works per root), each root with one File.
 */
function manyRootsProject(hosts: number, perHost: number): string {
  const dir = mkdtempSync(join(tmpdir(), "batou-bench-"));
  mkdirSync(join(dir, "environments"));
  const names: string[] = [];
  for (let c = 0; c < perHost; c++) {
    const name = `part${c}`;
    names.push(name);
    mkdirSync(join(dir, "components", name), { recursive: true });
    writeFileSync(
      join(dir, "components", name, "component.ts"),
      `import { Component, File } from "batou";
export class Part${c} extends Component {
  size = ${c};
  configure() {
    this.add(new File("${name}.conf", { content: \`part ${c} of \${this.host.name}, size \${this.size}\\n\` }));
  }
}
`,
    );
  }
  const lines = ["[environment]", 'connect_method = "local"'];
  for (let h = 1; h <= hosts; h++) lines.push(`[hosts.node${h}]`, `components = ${JSON.stringify(names)}`);
  writeFileSync(join(dir, "environments/many.toml"), `${lines.join("\n")}\n`);
  return dir;
}

/** configure() of 1,000 root components on 100 hosts (in-process, after loading). */
export async function benchConfigureRoots(runs: number): Promise<number[]> {
  const dir = manyRootsProject(100, 10);
  try {
    const environment = await loadEnvironment({ projectRoot: dir, name: "many" });
    return await measure(runs, () => {
      const { order } = configure(environment);
      if (order.length !== 1000) throw new Error(`expected 1,000 roots, configured ${order.length}`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchNoopDeploy(runs: number, executable: string[]): Promise<number[]> {
  const dir = manyFilesProject(1000);
  try {
    run([...executable, "deploy", "local"], dir);
    return await measure(runs, () => run([...executable, "deploy", "local"], dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchStartup(runs: number, executable: string): Promise<number[]> {
  return measure(runs, () => run([executable, "--version"], REPO));
}
