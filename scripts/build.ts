/**
 * `bun run build`: compiles batou into one standalone executable, dist/batou
 * (or dist/batou-<target> with `--target bun-linux-arm64` etc.). `--keep-names`:
 * class names are component names and breadcrumbs (`File('x')`), minified or not.
 */
import { parseArgs } from "node:util";
import { sourceCompileFlags } from "../lib/compile-flags.ts";

const { values } = parseArgs({ options: { target: { type: "string" }, outfile: { type: "string" } } });
const outfile = values.outfile ?? (values.target ? `dist/batou-${values.target.replace(/^bun-/, "")}` : "dist/batou");
const repo = new URL("..", import.meta.url).pathname;
const args = ["build", "--compile", ...sourceCompileFlags(repo), "batou.ts", "--outfile", outfile];
if (values.target) args.push("--target", values.target);
const proc = Bun.spawnSync([process.execPath, ...args], { cwd: repo, stdout: "inherit", stderr: "inherit" });
if (proc.exitCode !== 0) process.exit(proc.exitCode ?? 1);
console.log(`built ${outfile}`);
