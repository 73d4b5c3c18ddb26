/** `batou migrate-python [PATH] [--out DIR] [--dry-run] [--json] [--fetch-keys]`: bring a Python batou 2.x project over. */
import { BatouError } from "../../engine/errors.ts";
import { migrateProject } from "../../migrate/project.ts";
import { reportText } from "../../migrate/report.ts";
import { defineCommand } from "../command.ts";

export const migratePythonCommand = defineCommand({
  name: "migrate-python",
  summary: "bring a Python batou 2.x project over (environments, secrets, components)",
  description: `Reads the batou 2.x project in PATH (default: the current directory) and writes
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

Reading component.py files needs Python 3 (python3, or BATOU_MIGRATE_PYTHON).
Secrets: age identities from BATOU_AGE_IDENTITIES (else batou's ~/.ssh list), GnuPG
through gpg; sealing needs your identity (BATOU_IDENTITY) among the recipients.
See docs/porting-from-batou.md.`,
  arguments: [{ name: "PATH", optional: true }],
  options: {
    out: { type: "string", value: "DIR", help: "write into DIR (templates and other component files are copied)" },
    "dry-run": { type: "boolean", help: "write nothing; report what would be written" },
    json: { type: "boolean", help: "the report as one JSON object" },
    "fetch-keys": { type: "boolean", help: "fetch https:// members' keys again (else they come from age_keys.txt)" },
  },
  async run({ args, options }) {
    const project = args[0] ?? ".";
    let report;
    try {
      report = await migrateProject({ project, out: options.out, dryRun: options["dry-run"], fetchKeys: options["fetch-keys"] });
    } catch (error) {
      // Errors deep in the migration (a value with no TOML form, gpg) are plain Errors that say what is wrong with the old project.
      if (error instanceof BatouError || !(error instanceof Error) || "syscall" in error) throw error;
      throw new BatouError(`cannot migrate ${project}: ${error.message}`, {}, { cause: error });
    }
    console.log(options.json ? JSON.stringify(report, null, 2) : reportText(report));
    return 0;
  },
});
