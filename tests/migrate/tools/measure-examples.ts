/**
 * How much of batou's own examples/ migrates without a hand: runs
 * migrate-python (dry run) on every example project of a batou checkout and
 * counts environments, secrets (per environment) and components whose report
 * has nothing to do by hand, then lists what needs a hand. Not a test: batou's
 * examples are not copied into this repository.
 *
 *   BATOU_MIRROR=/path/to/flyingcircusio/batou.git bun tests/migrate/tools/measure-examples.ts [--json]
 *
 * BATOU_MIRROR is a batou git directory (the `fetch` tool's mirror, or a `git
 * clone --bare`). The examples' secrets are sealed to batou's own test keys,
 * so those stand in for a member's identity: batou's test age key
 * (src/batou/secrets/tests/fixture/age/id_ed25519) is BATOU_AGE_IDENTITIES and
 * BATOU_IDENTITY, and its test GnuPG home is GNUPGHOME. Everything is
 * extracted into a temporary folder and removed afterwards.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrateProject } from "../../../lib/migrate/project.ts";
import type { FileReport } from "../../../lib/migrate/report.ts";

const mirror = process.env.BATOU_MIRROR;
if (!mirror) throw new Error("set BATOU_MIRROR to a git directory of flyingcircusio/batou");
const scratch = mkdtempSync(join(tmpdir(), "batou-examples-"));

type Kind = "environments" | "secrets" | "components";

/** Which count a report entry belongs to. */
function kindOf(source: string): Kind | undefined {
  if (/^environments\/([^/]+\/environment|[^/]+)\.cfg$/.test(source)) return "environments";
  if (/^(environments\/[^/]+\/secrets\.cfg(\.[a-z-]+)?|secrets\/[^/]+\.cfg)$/.test(source)) return "secrets";
  if (/^components\/[^/]+\/component\.py$/.test(source)) return "components";
  return undefined;
}

try {
  execFileSync("sh", ["-c", `git --git-dir="$0" archive HEAD examples src/batou/secrets/tests/fixture | tar -x -C "$1"`, mirror, scratch]);
  const fixture = join(scratch, "src/batou/secrets/tests/fixture");
  const key = join(fixture, "age/id_ed25519");
  chmodSync(key, 0o600);
  const gnupg = join(scratch, "gnupg");
  cpSync(join(fixture, "gnupg"), gnupg, { recursive: true });
  chmodSync(gnupg, 0o700);
  const env = { ...process.env, BATOU_AGE_IDENTITIES: key, BATOU_IDENTITY: key, GNUPGHOME: gnupg };
  const counts: Record<Kind, { clean: number; total: number }> = {
    environments: { clean: 0, total: 0 },
    secrets: { clean: 0, total: 0 },
    components: { clean: 0, total: 0 },
  };
  const hand: { kind: Kind | "other"; file: string; line: string }[] = [];
  const skipped: string[] = [];
  const examples = join(scratch, "examples");
  for (const name of readdirSync(examples).sort()) {
    const project = join(examples, name);
    if (!existsSync(join(project, "environments")) && !existsSync(join(project, "components"))) {
      skipped.push(name);
      continue;
    }
    const report = await migrateProject({ project, dryRun: true, env });
    for (const file of report.files as FileReport[]) {
      const kind = kindOf(file.source);
      if (kind) {
        counts[kind].total++;
        if (file.hand.length === 0) counts[kind].clean++;
      }
      for (const line of file.hand) hand.push({ kind: kind ?? "other", file: `${name}/${file.source}`, line });
    }
  }
  execFileSync("gpgconf", ["--kill", "gpg-agent"], { env, stdio: "ignore" });
  if (process.argv.includes("--json")) console.log(JSON.stringify({ counts, skipped, hand }, null, 2));
  else {
    for (const [kind, { clean, total }] of Object.entries(counts)) console.log(`${kind}: ${clean} of ${total} without a hand`);
    console.log(`not batou projects (no environments/ or components/): ${skipped.join(", ") || "none"}`);
    console.log("\nwhat needs a hand:");
    for (const item of hand) console.log(`  [${item.kind}] ${item.file}: ${item.line.replace(/\n/g, "\\n")}`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
