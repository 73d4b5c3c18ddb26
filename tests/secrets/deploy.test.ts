/**
 * Secrets in a deployment, end to end through the CLI: `batou secrets edit`
 * seals, `batou deploy` (connect_method = "local") decrypts with the key in
 * BATOU_IDENTITY and merges overrides, host data and secret files into the
 * model; every misfit stops the run with exit 1 and a message naming the files.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hasStackTrace } from "../helpers/project.ts";
import { seal } from "../../lib/secrets/format.ts";
import { loadIdentity } from "../../lib/secrets/identities.ts";
import { parseRecipients } from "../../lib/secrets/recipients.ts";
import { localEnv, sandbox, secretsProject } from "./deploy-helpers.ts";
import { sealV1 } from "./v1-fixture.ts";

const box = sandbox();
afterAll(() => box.cleanup());

const APP = `import { Component, File } from "batou";

export class App extends Component {
  password = "changeme";
  port = 80;
  tags: string[] = [];

  configure() {
    this.add(new File("overrides.txt", { content: \`\${this.password} \${this.port} \${this.tags.join(",")}\\n\` }));
    this.add(new File("data.txt", { content: \`\${this.host.data.dbpass ?? "none"} \${this.host.data.role ?? "none"}\\n\` }));
    if ("dbpass" in this.host.data) this.add(new File("templated.txt", { source: "templated.txt.j2" }));
    const key = this.environment.secretFiles["app.key"];
    if (key !== undefined) this.add(new File("app.key", { content: key, sensitive: true }));
    this.add(new File("secret-files.txt", { content: Object.keys(this.environment.secretFiles).sort().join(",") + "\\n" }));
  }
}
`;
const TEMPLATE = "db={{ host.data.dbpass }} role={{ host.data.role }} pw={{ component.password }}\n";

function appProject(envExtra = "") {
  return secretsProject(box, {
    "environments/dev/environment.toml": localEnv(["app"], envExtra),
    "components/app/component.ts": APP,
    "components/app/templated.txt.j2": TEMPLATE,
  });
}

describe("secrets reach the model", () => {
  test("overrides, host data (in code and templates) and secret files", () => {
    const project = appProject('\n[hosts.localhost.data]\nrole = "primary"\n');
    project.seal(null, '[components.app]\npassword = "s3cret-pw"\nport = 8080\ntags = ["a", "b"]\n\n[hosts.localhost.data]\ndbpass = "db-s3cret"\n');
    project.seal("app.key", "-----KEY-----\nline two\n");
    const r = project.batou(["deploy", "dev"]);
    expect(r.output).not.toContain("ERROR");
    expect(r.code).toBe(0);
    expect(project.read("work/app/overrides.txt")).toBe("s3cret-pw 8080 a,b\n");
    expect(project.read("work/app/data.txt")).toBe("db-s3cret primary\n");
    expect(project.read("work/app/templated.txt")).toBe("db=db-s3cret role=primary pw=s3cret-pw\n");
    expect(project.read("work/app/app.key")).toBe("-----KEY-----\nline two\n");
    expect(project.read("work/app/secret-files.txt")).toBe("app.key\n");
    // The diffs of the new files were not shown: they contain secret values.
    expect(r.output).not.toContain("s3cret");
    expect(r.output).toContain("not showing the diff: it contains a secret value");
    expect(r.output).toContain("not showing the diff: sensitive content");
    // Idempotent.
    const again = project.batou(["deploy", "dev", "--json"]);
    expect(again.code).toBe(0);
    expect(again.summary?.changed).toBe(0);
  }, 30_000);

  test("an environment without secrets needs no identity at all", () => {
    const project = appProject();
    const r = project.batou(["deploy", "dev"], { identity: join(box.root, "no-such-key") });
    expect(r.code).toBe(0);
    expect(project.read("work/app/overrides.txt")).toBe("changeme 80 \n");
    expect(project.read("work/app/secret-files.txt")).toBe("\n");
  }, 30_000);

  test("a secrets file with only secret files (no secrets.toml) works", () => {
    const project = appProject();
    project.seal("app.key", "only-a-file\n");
    const r = project.batou(["deploy", "dev"]);
    expect(r.code).toBe(0);
    expect(project.read("work/app/app.key")).toBe("only-a-file\n");
  }, 30_000);
});

describe("attribute() conversions apply to secrets as to the environment (issue 13)", () => {
  const TYPED = `import { attribute, Component, File } from "batou";

export class Typed extends Component {
  port = attribute("integer", { default: 80 });
  hosts = attribute("list", { default: [] as string[] });
  configure() {
    this.add(new File("typed.txt", { content: \`\${typeof this.port} \${this.port + 1} \${JSON.stringify(this.hosts)}\\n\` }));
  }
}
`;
  const typedProject = () => secretsProject(box, { "environments/dev/environment.toml": localEnv(["typed"]), "components/typed/component.ts": TYPED });

  test("a secret given as text is converted by the attribute's conversion", () => {
    const project = typedProject();
    project.seal(null, '[components.typed]\nport = "8080"\nhosts = "a, b,"\n');
    const r = project.batou(["deploy", "dev"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(project.read("work/typed/typed.txt")).toBe('number 8081 ["a","b"]\n');
  }, 30_000);

  test("a secret that does not convert names the secrets file, the component, the attribute and the conversion, not the value", () => {
    const project = typedProject();
    project.seal(null, '[components.typed]\nport = "s3cret-no-number"\n');
    const r = project.batou(["deploy", "dev"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toStartWith('ERROR: cannot convert the value of "port": not an integer\n');
    expect(r.stderr).toMatch(/^ +file: environments\/dev\/secrets\.toml\.nacl$/m);
    expect(r.stderr).toMatch(/^ +component: Typed$/m);
    expect(r.stderr).toMatch(/^ +value: "<secret>"$/m);
    expect(r.stderr).toMatch(/^ +conversion: integer$/m);
    expect(r.output).not.toContain("s3cret-no-number");
    expect(hasStackTrace(r.output)).toBe(false);
  }, 30_000);
});

describe("misfits stop the deployment", () => {
  test("an override set in the environment and in the secrets names both files", () => {
    const project = appProject('\n[components.app]\npassword = "plain"\n');
    project.seal(null, '[components.app]\npassword = "s3cret-pw"\n');
    const r = project.batou(["deploy", "dev"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("app.password is set both in the environment and in the secrets");
    expect(r.stderr).toContain("environments/dev/environment.toml");
    expect(r.stderr).toContain("environments/dev/secrets.toml.nacl");
    expect(r.output).not.toContain("s3cret-pw");
    expect(hasStackTrace(r.output)).toBe(false);
  }, 30_000);

  test("host data set in the environment and in the secrets names both files", () => {
    const project = appProject('\n[hosts.localhost.data]\ndbpass = "plain"\n');
    project.seal(null, '[hosts.localhost.data]\ndbpass = "db-s3cret"\n');
    const r = project.batou(["deploy", "dev"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('host data "dbpass" is set both in the environment and in the secrets');
    expect(r.stderr).toContain("environments/dev/environment.toml");
    expect(r.stderr).toContain("environments/dev/secrets.toml.nacl");
    expect(r.output).not.toContain("db-s3cret");
  }, 30_000);

  test("secrets for an unknown component", () => {
    const project = appProject();
    project.seal(null, '[components.nosuch]\npassword = "s3cret-pw"\n');
    const r = project.batou(["deploy", "dev"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('overrides for an unknown component "nosuch"');
    expect(r.stderr).toContain("environments/dev/secrets.toml.nacl");
    expect(r.output).not.toContain("s3cret-pw");
  }, 30_000);

  test("secrets for an unknown attribute", () => {
    const project = appProject();
    project.seal(null, '[components.app]\npasword = "s3cret-pw"\n');
    const r = project.batou(["deploy", "dev"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('override of an unknown attribute "pasword"');
    expect(r.stderr).toContain("environments/dev/secrets.toml.nacl");
    expect(r.output).not.toContain("s3cret-pw");
  }, 30_000);

  test("secrets for an unknown host", () => {
    const project = appProject();
    project.seal(null, '[hosts.web9.data]\ndbpass = "db-s3cret"\n');
    const r = project.batou(["deploy", "dev"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('secrets for an unknown host "web9"');
    expect(r.stderr).toContain("environments/dev/secrets.toml.nacl");
    expect(r.output).not.toContain("db-s3cret");
  }, 30_000);

  test("a user who is not a recipient is told the file and the recipients", () => {
    const project = appProject();
    project.seal(null, '[components.app]\npassword = "s3cret-pw"\n');
    const r = project.batou(["deploy", "dev"], { identity: box.bob.path });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("environments/dev/secrets.toml.nacl");
    expect(r.stderr).toContain("alice@test");
    expect(r.stderr).toContain(box.bob.path); // the identity that was tried
    expect(r.output).not.toContain("s3cret-pw");
    expect(hasStackTrace(r.output)).toBe(false);
    expect(() => project.read("work/app/overrides.txt")).toThrow();
  }, 30_000);

  test("a missing identity file is an error naming it", () => {
    const project = appProject();
    project.seal(null, '[components.app]\npassword = "s3cret-pw"\n');
    const missing = join(box.root, "no-such-key");
    const r = project.batou(["deploy", "dev"], { identity: missing });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(missing);
    expect(hasStackTrace(r.output)).toBe(false);
  }, 30_000);

  test("a tampered file is refused", () => {
    const project = appProject();
    project.seal(null, '[components.app]\npassword = "s3cret-pw"\n');
    const path = join(project.dir, "environments/dev/secrets.toml.nacl");
    const lines = readFileSync(path, "utf8").split("\n");
    // Flip one character of the last base64 line before the END marker (the ciphertext).
    const index = lines.findIndex((line) => line.startsWith("-----END")) - 1;
    const line = lines[index]!;
    const at = Math.floor(line.length / 2);
    lines[index] = line.slice(0, at) + (line[at] === "A" ? "B" : "A") + line.slice(at + 1);
    writeFileSync(path, lines.join("\n"));
    const r = project.batou(["deploy", "dev"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("environments/dev/secrets.toml.nacl");
    expect(r.stderr.toLowerCase()).toMatch(/tamper|damaged|authentic/);
    expect(hasStackTrace(r.output)).toBe(false);
    expect(() => project.read("work/app/overrides.txt")).toThrow();
  }, 30_000);

  test("a tampered secret file is refused, naming it", () => {
    const project = appProject();
    project.seal("app.key", "key material\n");
    const path = join(project.dir, "environments/dev/secret-app.key.nacl");
    writeFileSync(path, readFileSync(path, "utf8").replace(/\n([A-Za-z0-9+/])/, (_, c: string) => `\n${c === "A" ? "B" : "A"}`));
    const r = project.batou(["deploy", "dev", "--json"]);
    expect(r.code).toBe(1);
    expect(r.summary?.ok).toBe(false);
    const errors = r.events.filter((event) => event.event === "error");
    expect(JSON.stringify(errors)).toContain("environments/dev/secret-app.key.nacl");
  }, 30_000);
});

describe("only files a recipient sealed, for their place, are deployed (issue 11 item 10)", () => {
  const recipientsOf = (project: ReturnType<typeof appProject>) => parseRecipients(project.read("environments/dev/recipients"), "r");
  const forge = async (project: ReturnType<typeof appProject>, identity: string, file: string, content: string) => {
    const signer = await loadIdentity(identity, {}).signer();
    const text = seal(new TextEncoder().encode(content), recipientsOf(project), signer, { environment: "dev", file });
    project.write(`environments/dev/${file}`, text);
  };

  test("a file sealed with the public recipients file by a non-recipient is refused, naming the signer", async () => {
    const project = appProject();
    project.seal(null, '[components.app]\npassword = "s3cret-pw"\n');
    await forge(project, box.bob.path, "secrets.toml.nacl", '[components.app]\npassword = "ATTACKER-CHOSEN"\n');
    const r = project.batou(["deploy", "dev"]);
    expect(r.code).toBe(1);
    const bob = loadIdentity(box.bob.path, {}).fingerprint;
    expect(r.stderr).toContain(`environments/dev/secrets.toml.nacl: signed by ${bob} bob@test, who is not a recipient in environments/dev/recipients`);
    expect(hasStackTrace(r.output)).toBe(false);
    expect(() => project.read("work/app/overrides.txt")).toThrow();
  }, 30_000);

  test("a sealed file copied from another environment is refused", () => {
    const project = appProject();
    project.write("environments/staging/environment.toml", localEnv(["app"]));
    project.write("environments/staging/recipients", project.read("environments/dev/recipients"));
    project.seal("app.key", "staging key\n", "staging");
    project.write("environments/dev/secret-app.key.nacl", project.read("environments/staging/secret-app.key.nacl"));
    const r = project.batou(["deploy", "dev"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("environments/dev/secret-app.key.nacl: sealed for environments/staging/secret-app.key.nacl");
    expect(() => project.read("work/app/app.key")).toThrow();
  }, 30_000);

  test("unsigned v1 files (an older batou) are refused until a recipient signs them with reencrypt", () => {
    const project = appProject();
    project.write("environments/dev/secrets.toml.nacl", sealV1('[components.app]\npassword = "old-s3cret"\n', recipientsOf(project)));
    const refused = project.batou(["deploy", "dev"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("environments/dev/secrets.toml.nacl: not signed (sealed-file format v1");
    expect(refused.stderr).toContain("`batou secrets reencrypt --environments dev`");
    const migrated = project.batou(["secrets", "reencrypt", "--environments", "dev"]);
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toContain("environments/dev/secrets.toml.nacl: signed again (same key): it was not signed (format v1)");
    expect(project.read("environments/dev/secrets.toml.nacl")).toStartWith("-----BEGIN BATOU SECRETS v2-----\n");
    const deployed = project.batou(["deploy", "dev"]);
    expect(deployed.code).toBe(0);
    expect(project.read("work/app/overrides.txt")).toBe("old-s3cret 80 \n");
  }, 30_000);
});

