/**
 * Secret values that are not strings (issue 11 item 5): a number, the items of an
 * array of numbers and of strings. Each is masked in predictions (`-P`, with and
 * without `--json`), and so is the old value a changed secret replaces, while the
 * file on disk holds the real values.
 */
import { afterAll, describe, expect, test } from "bun:test";
import type { RunResult } from "../helpers/project.ts";
import { localEnv, outputsContaining, sandbox, secretsProject } from "./deploy-helpers.ts";

const box = sandbox("batou-poison-types-");
afterAll(() => box.cleanup());

const APP = `import { Component, File } from "batou";

export class App extends Component {
  pin = 0;
  codes: number[] = [];
  words: string[] = [];

  configure() {
    this.add(new File("app.conf", { content: \`pin=\${this.pin}\\ncodes=\${this.codes.join(",")}\\n\` }));
    this.add(new File("words.conf", { content: this.words.join("\\n") + "\\n" }));
    this.add(new File("plain.conf", { content: "nothing secret here\\n" }));
  }
}
`;

const project = secretsProject(box, {
  "environments/dev/environment.toml": localEnv(["app"]),
  "components/app/component.ts": APP,
});

const secrets = (pin: number, codes: number[], words: string[]) =>
  `[components.app]\npin = ${pin}\ncodes = [${codes.join(", ")}]\nwords = ${JSON.stringify(words)}\n`;

describe("secret numbers and array items are masked", () => {
  test("-P and --json show neither the new values nor the old ones they replace", () => {
    project.seal(null, secrets(48213579, [91827364, 55512345], ["first-word-secret", "second-word-secret"]));
    const first = project.batou(["deploy", "dev"]);
    expect(first.code).toBe(0);
    expect(project.read("work/app/app.conf")).toBe("pin=48213579\ncodes=91827364,55512345\n");

    project.seal(null, secrets(73920184, [91827364, 66623456], ["first-word-secret", "third-word-secret"]));
    const runs: Record<string, RunResult> = {
      predict: project.batou(["deploy", "dev", "-P"]),
      "predict json": project.batou(["deploy", "dev", "-P", "--json"]),
      "predict debug json": project.batou(["deploy", "dev", "-P", "--json", "-d"]),
    };
    for (const [label, run] of Object.entries(runs)) {
      expect(run.code, `${label}:\n${run.output}`).toBe(0);
      const hidden = "not showing the diff: it contains a secret value";
      if (label === "predict") {
        expect(run.output).toContain(`app.conf: ${hidden}`);
        expect(run.output).toContain(`words.conf: ${hidden}`);
      } else {
        const events = run.stdout.trim().split("\n").map((line) => JSON.parse(line)); // still valid JSON lines
        const notes = events.filter((e) => e.event === "diff").map((e) => `${e.path.split("/").at(-1)}: ${e.note}`);
        expect(notes).toEqual([`app.conf: ${hidden}`, `words.conf: ${hidden}`]);
      }
    }
    for (const value of ["48213579", "73920184", "91827364", "55512345", "66623456", "second-word-secret", "third-word-secret"]) {
      expect(outputsContaining(runs, value), value).toEqual([]);
    }
    const deployed = project.batou(["deploy", "dev", "--json"]);
    expect(deployed.code).toBe(0);
    expect(outputsContaining({ deployed }, "73920184")).toEqual([]);
    expect(project.read("work/app/app.conf")).toBe("pin=73920184\ncodes=91827364,66623456\n");
  }, 60_000);
});
