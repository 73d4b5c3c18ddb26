/**
 * `batou graph` and secrets: the picture is of the model as deployed (secret
 * overrides applied), secret values never appear in it (an error message that
 * quotes one is masked), and someone who cannot open the secrets still gets a
 * picture, with a warning that it lacks them.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { localEnv, sandbox, secretsProject } from "../secrets/deploy-helpers.ts";
import { parseDot } from "./parse.ts";

const box = sandbox("batou-graph-secrets-");
/** Each test runs batou several times. */
const SPAWNS = 60_000;

afterAll(() => box.cleanup());

/** Refuses short passwords, quoting the value (as careless code does). */
const APP = `import { Component } from "batou";

export class App extends Component {
  password = "";
  configure() {
    if (this.password.length < 20) throw new Error(\`password "\${this.password}" is too short\`);
    this.provide("app", 1);
  }
}
`;
const SINK = `import { Component } from "batou";

export class Sink extends Component {
  configure() {
    this.require("app");
  }
}
`;

function project() {
  const p = secretsProject(box, {
    "environments/dev/environment.toml": localEnv(["app", "sink"]),
    "components/app/component.ts": APP,
    "components/sink/component.ts": SINK,
  });
  return p;
}

describe("batou graph with secrets", () => {
  test("secret overrides reach the model; a secret quoted in an error is masked in the picture and the output", async () => {
    const p = project();
    p.seal(null, '[components.app]\npassword = "graph-s3cret"\n');
    const result = p.batou(["graph", "dev", "--format", "dot"]);
    expect(result.code).toBe(1);
    expect(result.output).not.toContain("graph-s3cret");
    const dot = await parseDot(result.stdout);
    expect(dot.nodes.get("localhost/app")!.label).toBe('app\nconfigure() failed:\nError: password "<secret>" is too short');

    p.seal(null, '[components.app]\npassword = "a-long-enough-graph-s3cret"\n');
    const fixed = p.batou(["graph", "dev", "--format", "dot"]);
    expect(fixed.code).toBe(0);
    expect((await parseDot(fixed.stdout)).nodes.get("localhost/app")!.label).toBe("1. app");
  }, SPAWNS);

  test("secrets that cannot be opened: a warning, and the picture of the model without them", async () => {
    const p = project();
    p.seal(null, '[components.app]\npassword = "a-long-enough-graph-s3cret"\n');
    const result = p.batou(["graph", "dev", "--format", "dot"], { identity: box.bob.path });
    expect(result.stderr).toContain("WARN: drawn without the secrets, which cannot be opened");
    expect(result.code).toBe(1);
    const dot = await parseDot(result.stdout);
    expect(dot.nodes.get("localhost/app")!.label).toBe('app\nconfigure() failed:\nError: password "" is too short');
    expect(dot.nodes.get("localhost/sink")).toBeDefined();
  }, SPAWNS);
});
