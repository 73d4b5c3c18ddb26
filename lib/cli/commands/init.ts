/** `batou init [DIR]`: a new project, as the bootstrap makes it, without network. */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { readPin } from "../../bootstrap/pin.ts";
import { ownTypes, projectFiles, renderLauncher, writeProject } from "../../bootstrap/new-project.ts";
import { RELEASE } from "../../bootstrap/release-info.ts";
import { defineCommand } from "../command.ts";
import { say } from "../output.ts";

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

export const initCommand = defineCommand({
  name: "init",
  summary: "create a new project (launcher, example component, dev environment)",
  description: `Creates a batou project in DIR (default: the current directory) from files
inside batou itself (no network):

  batou.ts                        the launcher, pinned to this batou's version
  components/hello/component.ts   an example component
  environments/dev.toml           an environment that deploys to this machine
  .gitignore                      work/, .batou/, lock files and other local files
  tsconfig.json, .batou/types/    editor types for "batou"

Existing files are kept (a .gitignore gets the lines it lacks). Then: bun batou.ts deploy dev`,
  arguments: [{ name: "DIR", optional: true }],
  async run({ args }) {
    const dir = resolve(args[0] ?? ".");
    const launcher = renderLauncher({ version: RELEASE.version, url: releaseUrl(), keys: RELEASE.publicKeys });
    const types = ownTypes();
    const { written, kept } = writeProject(dir, projectFiles(launcher, types));
    if (written.length) say(`batou init: wrote ${written.join(", ")} in ${dir}`);
    if (kept.length) say(`batou init: kept ${kept.join(", ")} (${kept.length === 1 ? "it exists" : "they exist"} already)`);
    if (!types) say("batou init: no editor types (a release carries them; from source they need TypeScript installed beside batou)");
    if (!RELEASE.released) {
      say(`batou init: note: this batou is a source checkout, not a release; batou.ts pins ${RELEASE.version}, which must be released at ${releaseUrl()}`);
    }
    const where = dir === process.cwd() ? "" : `cd ${args[0]} && `;
    say(`next: ${where}bun batou.ts deploy dev`);
    return 0;
  },
});
