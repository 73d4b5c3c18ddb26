/** `batou init [DIR]`: a new project, as the bootstrap makes it, without network. */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { readPin } from "../../bootstrap/pin.ts";
import { ownTypes, projectFiles, renderLauncher, writeProject } from "../../bootstrap/new-project.ts";
import { RELEASE } from "../../bootstrap/release-info.ts";
import { type Command, UsageError } from "../command.ts";

const usage = `usage: batou init [DIR]

Creates a batou project in DIR (default: the current directory) from files
inside batou itself (no network):

  batou.ts                        the launcher, pinned to this batou's version
  components/hello/component.ts   an example component
  environments/dev.toml           an environment that deploys to this machine
  .gitignore                      work/, .batou/ and other local files
  tsconfig.json, .batou/types/    editor types for "batou"

Existing files are kept. Then: bun batou.ts deploy dev`;

/** The release URL for new launchers: BATOU_RELEASE_URL, else the running launcher's, else the built-in one. */
function releaseUrl(): string {
  if (process.env.BATOU_RELEASE_URL) return process.env.BATOU_RELEASE_URL.replace(/\/+$/, "");
  const launcher = process.env.BATOU_LAUNCHER;
  if (launcher && existsSync(launcher)) {
    try {
      return readPin(readFileSync(launcher, "utf8")).url;
    } catch {
      // not a launcher after all
    }
  }
  return RELEASE.url;
}

export const initCommand: Command = {
  name: "init",
  summary: "create a new project (launcher, example component, dev environment)",
  usage,
  async run(args) {
    const positionals = args.filter((a) => !a.startsWith("-") || a === "-");
    if (positionals.length !== args.length) throw new UsageError(`unknown option ${args.find((a) => a.startsWith("-"))}`);
    if (positionals.length > 1) throw new UsageError("expected at most one directory");
    const dir = resolve(positionals[0] ?? ".");
    const launcher = renderLauncher({ version: RELEASE.version, url: releaseUrl(), keys: RELEASE.publicKeys });
    const types = ownTypes();
    const { written, kept } = writeProject(dir, projectFiles(launcher, types));
    if (written.length) console.log(`batou init: wrote ${written.join(", ")} in ${dir}`);
    if (kept.length) console.log(`batou init: kept ${kept.join(", ")} (exist already)`);
    if (!types) console.log("batou init: no editor types (this source checkout has no TypeScript installed)");
    if (!RELEASE.released) {
      console.log(`batou init: note: this batou is a source checkout, not a release; batou.ts pins ${RELEASE.version}, which must be released at ${releaseUrl()}`);
    }
    const where = dir === process.cwd() ? "" : `cd ${positionals[0]} && `;
    console.log(`next: ${where}bun batou.ts deploy dev`);
    return 0;
  },
};
