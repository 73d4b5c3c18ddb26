#!/usr/bin/env bun
/**
 * batou's entry point: `bun batou.ts deploy ENV`. The same file is compiled
 * into the standalone executable (`bun run build` → dist/batou).
 */
import "./lib/plugin.ts";
import { main } from "./lib/cli/main.ts";

process.exit(await main(process.argv.slice(2)));
