/**
 * `bun run build`: compiles batou into one standalone executable, dist/batou
 * (or dist/batou-<target> with `--target bun-linux-arm64` etc.).
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { target: { type: "string" }, outfile: { type: "string" } } });
const outfile = values.outfile ?? (values.target ? `dist/batou-${values.target.replace(/^bun-/, "")}` : "dist/batou");
const args = ["build", "--compile", "--minify", "--sourcemap=none", "batou.ts", "--outfile", outfile];
if (values.target) args.push("--target", values.target);
const proc = Bun.spawnSync([process.execPath, ...args], { cwd: new URL("..", import.meta.url).pathname, stdout: "inherit", stderr: "inherit" });
if (proc.exitCode !== 0) process.exit(proc.exitCode ?? 1);
console.log(`built ${outfile}`);
