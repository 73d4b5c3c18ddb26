/** `batou migrate-python [PATH] [--out DIR] [--dry-run] [--json] [--fetch-keys]`: bring a Python batou 2.x project over. */
import { migrateProject } from "../../migrate/project.ts";
import { reportText } from "../../migrate/report.ts";
import { type Command, UsageError } from "../command.ts";

const usage = `usage: batou migrate-python [PATH] [--out DIR] [--dry-run] [--json] [--fetch-keys]

Reads the batou 2.x project in PATH (default: the current directory) and writes
this tool's files beside its own (or into DIR):

  environments/ENV/environment.cfg    → environments/ENV/environment.toml
  environments/ENV/secrets.cfg.*      → secrets.toml.nacl and recipients (sealed
  environments/ENV/secret-NAME.*        with your identity; cleartext stays in memory)
                                      → secret-NAME.nacl
  components/NAME/component.py        → components/NAME/component.ts (a skeleton:
                                        what needs a hand is marked TODO(migrate))
  the batou.ts launcher, .gitignore, tsconfig.json

Existing files are kept. Then it reports, per file, what was converted and what
needs a hand, and the command to run next.

  --out DIR      write into DIR (templates and other component files are copied)
  --dry-run      write nothing; report what would be written
  --json         the report as one JSON object
  --fetch-keys   fetch https:// members' keys again (else they come from age_keys.txt)

Reading component.py files needs Python 3 (python3, or BATOU_MIGRATE_PYTHON).
Secrets: age identities from BATOU_AGE_IDENTITIES (else batou's ~/.ssh list), GnuPG
through gpg; sealing needs your identity (BATOU_IDENTITY) among the recipients.
See docs/porting-from-batou.md.`;

export const migratePythonCommand: Command = {
  name: "migrate-python",
  summary: "bring a Python batou 2.x project over (environments, secrets, components)",
  usage,
  async run(args) {
    const positionals: string[] = [];
    let out: string | undefined;
    let dryRun = false;
    let json = false;
    let fetchKeys = false;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      if (arg === "--dry-run") dryRun = true;
      else if (arg === "--json") json = true;
      else if (arg === "--fetch-keys") fetchKeys = true;
      else if (arg === "--out" || arg.startsWith("--out=")) {
        out = arg === "--out" ? args[++i] : arg.slice("--out=".length);
        if (!out) throw new UsageError("--out needs a directory");
      } else if (arg.startsWith("-")) throw new UsageError(`unknown option ${arg}`);
      else positionals.push(arg);
    }
    if (positionals.length > 1) throw new UsageError("expected at most one project path");
    let report;
    try {
      report = await migrateProject({ project: positionals[0] ?? ".", out, dryRun, fetchKeys });
    } catch (error) {
      console.error(`batou migrate-python: ${(error as Error).message}`);
      return 1;
    }
    console.log(json ? JSON.stringify(report, null, 2) : reportText(report));
    return 0;
  },
};
