/** Finding the project a command works on. */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { ConfigurationError } from "./engine/errors.ts";

/** The nearest directory, from `start` upward, that holds an `environments/` folder. */
export function findProjectRoot(start: string = process.cwd()): string {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, "environments"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new ConfigurationError("no batou project here: no environments/ folder in this directory or above", {
        directory: resolve(start),
        hint: "run batou inside a project, or create one with `batou init`",
      });
    }
    dir = parent;
  }
}
