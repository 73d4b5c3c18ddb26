/**
 * `bun run build`: compiles batou into one standalone executable, dist/batou
 * (or dist/batou-<target> with `--target bun-linux-arm64` etc.). `--keep-names`:
 * class names are component names and breadcrumbs (`File('x')`), minified or not.
 */
import { parseArgs } from "node:util";
import { COMPILE_FLAGS } from "../lib/compile-flags.ts";

const { values } = parseArgs({ options: { target: { type: "string" }, outfile: { type: "string" } } });
const outfile = values.outfile ?? (values.target ? `dist/batou-${values.target.replace(/^bun-/, "")}` : "dist/batou");
const args = ["build", "--compile", ...COMPILE_FLAGS, "batou.ts", "--outfile", outfile];
if (values.target) args.push("--target", values.target);
const proc = Bun.spawnSync([process.execPath, ...args], { cwd: new URL("..", import.meta.url).pathname, stdout: "inherit", stderr: "inherit" });
if (proc.exitCode !== 0) process.exit(proc.exitCode ?? 1);
console.log(`built ${outfile}`);
