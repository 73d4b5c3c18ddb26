/** `batou update [VERSION]`: moves the version a project's launcher pins. */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../../engine/atomic-file.ts";
import { BatouError } from "../../engine/errors.ts";
import { fetchLatest, updateTarget } from "../../bootstrap/latest.ts";
import { ensureRelease, ReleaseError } from "../../bootstrap/launcher.ts";
import { isLauncher, readPin, writePin } from "../../bootstrap/pin.ts";
import { TYPES_PATH } from "../../bootstrap/new-project.ts";
import { compareVersions } from "../../bootstrap/versions.ts";
import { findProjectRoot } from "../../project-root.ts";
import { defineCommand } from "../command.ts";
import { say } from "../output.ts";

/** The launcher that runs this batou (BATOU_LAUNCHER), else the project's batou.ts. */
function findLauncher(): string {
  const fromEnv = process.env.BATOU_LAUNCHER;
  const candidate = fromEnv && existsSync(fromEnv) ? fromEnv : join(findProjectRoot(), "batou.ts");
  if (existsSync(candidate) && isLauncher(readFileSync(candidate, "utf8"))) return candidate;
  throw new BatouError(`cannot update: ${candidate} is not a batou launcher`, {
    hint: "batou update works in projects made by the bootstrap or `batou init`",
  });
}

export const updateCommand = defineCommand({
  name: "update",
  summary: "move the pinned batou version (default: the newest release)",
  description: `Moves the batou version pinned in the project's launcher (batou.ts) to VERSION,
by default the newest release (RELEASE_URL/latest, which must be signed by a
trusted key and is never followed backwards: name an older VERSION to
downgrade). The release is downloaded and verified first; when that fails, the
pin stays and the current version keeps working. A release with a newer
launcher also rewrites batou.ts (keeping its release URL). BATOU_RELEASE_URL
overrides the launcher's URL.`,
  arguments: [{ name: "VERSION", optional: true }],
  async run({ args }) {
    const launcherPath = findLauncher();
    const text = readFileSync(launcherPath, "utf8");
    const pin = readPin(text);
    const url = (process.env.BATOU_RELEASE_URL || pin.url).replace(/\/+$/, "");
    let version: string;
    let release: string;
    try {
      const latest = args[0] === undefined ? await fetchLatest(url, pin.keys) : undefined;
      version = updateTarget(pin.version, args[0], latest, `${url}/latest`);
      release = await ensureRelease(version, url, pin.keys, (m) => say(m));
    } catch (error) {
      if (!(error instanceof ReleaseError)) throw error;
      throw new BatouError(`cannot update: ${error.message}`, { launcher: launcherPath, note: `the pin is unchanged; batou ${pin.version} keeps working` }, { cause: error });
    }
    // The new release's own launcher (verified with the rest) replaces older code.
    const shipped = readFileSync(join(release, "launcher.ts"), "utf8");
    const shippedPin = readPin(shipped);
    const rewrite = shippedPin.revision > pin.revision;
    const updated = rewrite ? writePin(shipped, { version, url: pin.url }) : writePin(text, { version });
    if (updated !== text) writeFileAtomic(launcherPath, updated, { mode: statSync(launcherPath).mode & 0o7777 }); // keeps it executable
    const types = join(release, "batou.d.ts");
    if (existsSync(types)) {
      const target = join(dirname(launcherPath), TYPES_PATH);
      if (existsSync(dirname(target)) || existsSync(join(dirname(launcherPath), "tsconfig.json"))) {
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, readFileSync(types));
      }
    }
    if (version === pin.version) say(`batou update: ${launcherPath} already pins batou ${version}`);
    else say(`batou update: ${launcherPath} now pins batou ${version} (was ${pin.version}${compareVersions(version, pin.version) < 0 ? ", a downgrade you named" : ""})`);
    if (rewrite) say(`batou update: launcher rewritten (revision ${pin.revision} → ${shippedPin.revision})`);
    return 0;
  },
});
