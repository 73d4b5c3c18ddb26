/**
 * Fuzzing the input side: random and mutated environment files, secrets and
 * overrides go through the real loader (readEnvironmentFile, loadEnvironment
 * with real component files, configure) and the real error printer. Every
 * outcome must be a deployable model or batou's own errors: never another
 * exception (a JS stack trace), never "unexpected error", never a hang.
 *
 * Seeded and bounded, so a failure reproduces: BATOU_FUZZ_SEED=N and
 * BATOU_FUZZ_CASES=N change the run (defaults: seed 20240611, 2000 cases).
 */
import { afterAll, expect, test } from "bun:test";
import { configure } from "../../lib/engine/configure.ts";
import { loadEnvironment, type SecretsData } from "../../lib/engine/environment.ts";
import { BatouError } from "../../lib/engine/errors.ts";
import { Reporter } from "../../lib/engine/reporter.ts";
import { tempProject } from "../helpers/project.ts";

const SEED = Number(process.env.BATOU_FUZZ_SEED ?? 20240611);
const CASES = Number(process.env.BATOU_FUZZ_CASES ?? 2000);

/** mulberry32: small, fast, reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = prng(SEED);
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
const chance = (p: number) => random() < p;

const KEYS = [
  "__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "prototype", "", " ", "ünï", "a.b", "x-y",
  "port", "name", "flags", "settings", "greeting", "count", "hosts", "address", "ratio", "on", "features", "data",
  "components", "platform", "service_user", "ignore", "jobs", "timeout", "connect_method", "host_domain", "branch",
  "require_v4", "require_v6", "sandbox", "/srv", "clean", "exec", "ssh_client", "target_directory",
];
const STRINGS = [
  "", "x", "8080", "0x1F", "Infinity", "-0", "1e999", "true", "FALSE", "a, b,", "[1, 2]", '{"a": 1}', "{ a = 1 }", "True", "None",
  "{{ host.name }}", "{{ nope }}", "{% if %}", "{{", "localhost:8080", "[::1]:22", "localhost", "::1", "10.0.0.5", "/etc/x", "~/x",
  "ssh", "local", "vagrant", "Developer", "Map", "app", "!app", "app:test", "app:", "1app", "\u0000", "\u202e", "é", "🙂",
];
/** Values App's attributes take, to reach models that configure. */
const PLAUSIBLE: Record<string, string[]> = {
  port: ["8081", '"8082"', '" 9 "', '"0x1F"'],
  name: ['"x"', "5", "true"],
  flags: ['"a, b,"', '["x", "y"]', '""'],
  settings: ["{ a = 1 }", "{}", '{ "__proto__" = 1 }'],
  greeting: ['"Hello {{ host.name }}"', '"{{ host.data.role }}"', '"{{ nope }}"', '"plain"'],
  count: ['"7"', "7", '"7.5"'],
  ratio: ['"0.25"', "1", '"1e3"'],
  on: ['"TRUE"', "false", '"yes"'],
  address: ['"db:5432"', '"[::1]:22"', '"nohost"', '"10.0.0.1:80"'],
  extra: ['"[1, 2]"', '"True"', '"{ a = 1 }"', "[1, 2]", '"oops ]"'],
  features: ['["a"]', "[]"],
};
const COMPONENT_NAMES = ["app", "store", "App", "missing", "__proto__", "constructor", "toString", "1x", ""];

function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
}

/** A TOML value: scalars of every kind (dates, nan, inf too), arrays, inline tables. */
function value(depth = 0): string {
  switch (int(depth > 2 ? 7 : 10)) {
    case 0:
      return JSON.stringify(pick(STRINGS));
    case 1:
      return String(pick([0, 1, -1, 8080, 3.5, 1e300, 9007199254740993, -0]));
    case 2:
      return pick(["nan", "inf", "-inf", "+inf"]);
    case 3:
      return pick(["true", "false"]);
    case 4:
      return pick(["1979-05-27T07:32:00Z", "1979-05-27", "07:32:00", "1979-05-27T00:32:00.999999-07:00"]);
    case 5:
      return `'${pick(STRINGS).replace(/'/g, "")}'`;
    case 6:
      return "0x1F";
    case 7:
    case 8:
      return `[${Array.from({ length: int(4) }, () => value(depth + 1)).join(", ")}]`;
    default:
      return `{ ${Array.from({ length: int(4) }, () => `${tomlKey(pick(KEYS))} = ${value(depth + 1)}`).join(", ")} }`;
  }
}

/** A random environment file: well-formed TOML (no repeated sections or keys), so the checks behind the parser get exercised. */
function environmentToml(): string {
  const lines: string[] = [];
  const sections = ["environment", "hosts.web", "hosts.db", `hosts.${tomlKey(pick(KEYS))}`, "components.app", "components.store", `components.${tomlKey(pick(COMPONENT_NAMES))}`, "resolver", "vfs", "hosts.web.data", tomlKey(pick(KEYS) || "x")];
  const used = new Set<string>();
  for (let s = int(6); s >= 0; s--) {
    const section = pick(sections);
    if (used.has(section)) continue;
    used.add(section);
    lines.push(`[${section}]`);
    const keys = new Set<string>();
    for (let k = int(5); k >= 0; k--) {
      const key = section.startsWith("hosts") && chance(0.5) ? "components" : tomlKey(pick(KEYS));
      if (keys.has(key) || (section === "hosts.web" && key === "data" && used.has("hosts.web.data"))) continue;
      keys.add(key);
      if (key === "components") {
        lines.push(`components = [${Array.from({ length: int(4) }, () => (chance(0.8) ? JSON.stringify(pick([...COMPONENT_NAMES, ...STRINGS])) : value(1))).join(", ")}]`);
      } else {
        lines.push(`${key} = ${value()}`);
      }
    }
  }
  return lines.join("\n") + "\n";
}

/** The base model with a few random overrides, host data and settings: valid TOML, values of every kind. */
function baseWithValues(): string {
  const parts = [BASE_HEAD];
  const app = new Set<string>();
  for (let n = int(4); n >= 0; n--) app.add(chance(0.85) ? pick(Object.keys(PLAUSIBLE)) : tomlKey(pick(KEYS)));
  const valueOf = (key: string) => (Object.hasOwn(PLAUSIBLE, key) && chance(0.6) ? pick(PLAUSIBLE[key]!) : value());
  parts.push(`[components.app]\n${[...app].map((key) => `${key} = ${valueOf(key)}`).join("\n")}\n`);
  if (chance(0.5)) parts.push(`[hosts.web.data]\n${tomlKey(pick(KEYS))} = ${value()}\n`);
  if (chance(0.3)) parts.push(`[resolver]\n${tomlKey(pick(KEYS))} = ${value()}\n`);
  if (chance(0.3)) parts.push(`[vfs]\nsandbox = ${pick(['"Developer"', '"Map"', value()])}\n${chance(0.5) ? `"/srv" = ${value()}\n` : ""}`);
  return parts.join("\n");
}

const BASE_HEAD = `[environment]
connect_method = "local"

[hosts.web]
components = ["app", "store:fast"]
`;

const BASE = `${BASE_HEAD}
[hosts.db]
components = ["store"]
data = { role = "primary", weight = 3 }

[components.app]
port = 8081
flags = "a, b"
greeting = "Hello {{ host.name }}"
settings = { cache = true }
`;

/** The base file with byte-level damage: deletions, insertions (also invalid UTF-8), repeated lines. */
function mutated(): Uint8Array {
  const bytes = [...new TextEncoder().encode(random() < 0.7 ? BASE : environmentToml())];
  for (let n = 1 + int(2); n > 0; n--) {
    const at = int(bytes.length + 1);
    switch (int(5)) {
      case 0:
        bytes.splice(at, 1 + int(3));
        break;
      case 1:
        bytes.splice(at, 0, pick([0xff, 0xc3, 0xe9, 0x80, 0x00, 0x22, 0x27, 0x5b, 0x5d, 0x3d, 0x0a, 0x7b, 0x23]));
        break;
      case 2: {
        const text = new TextDecoder().decode(new Uint8Array(bytes));
        const lines = text.split("\n");
        const i = int(lines.length);
        lines.splice(i, 0, lines[i] ?? "");
        bytes.splice(0, bytes.length, ...new TextEncoder().encode(lines.join("\n")));
        break;
      }
      case 3:
        bytes.splice(at, 0, ...new TextEncoder().encode(pick(['"', "'''", "[[", "= =", "\\", "{{", "\r\n", "\t", "#"])));
        break;
      default:
        bytes.splice(at, 0, ...new TextEncoder().encode(`\n${tomlKey(pick(KEYS))} = ${value()}\n`));
    }
  }
  return new Uint8Array(bytes);
}

/** Secrets as the agent protocol delivers them: JSON-parsed (so `__proto__` arrives as an own key). */
function secrets(): SecretsData | undefined {
  if (chance(0.7)) return undefined;
  const table = () => `{${Array.from({ length: int(3) }, () => `${JSON.stringify(pick(KEYS))}: ${pick(['"s3cret-value"', "1", "true", "[1, 2]", "{}", "null", '"{{ host.name }}"'])}`).join(", ")}}`;
  const components = `{${Array.from({ length: int(3) }, () => `${JSON.stringify(pick(COMPONENT_NAMES))}: ${table()}`).join(", ")}}`;
  const hosts = `{${Array.from({ length: int(2) }, () => `${JSON.stringify(pick(["web", "db", "__proto__", "nohost"]))}: {"data": ${table()}}`).join(", ")}}`;
  return {
    file: "environments/dev/secrets.toml.nacl",
    components: JSON.parse(components),
    hosts: JSON.parse(hosts),
    files: {},
    values: ["s3cret-value"],
  };
}

const COMPONENTS = `import { Address, attribute, Component } from "batou";

export class App extends Component {
  port = 8080;
  name = "app";
  flags = attribute("list", { default: [] as string[] });
  settings: Record<string, unknown> = { cache: false };
  greeting = attribute("string", { default: "hi" });
  count = attribute("integer", { defaultText: "3" });
  ratio = attribute("number", { default: 0.5 });
  on = attribute("boolean", { default: false });
  address = attribute(Address, { defaultText: "localhost:8080" });
  extra = attribute("literal", { default: null as unknown });
  features: string[] = [];
  configure() {
    this.provide("app", { port: this.port, address: String(this.address), flags: this.flags, on: this.on, count: this.count });
    this.log(this.expand("{{ component.greeting }} {{ host.data }}"));
  }
}

export class Store extends Component {
  hosts = attribute("list", { defaultText: "a, b" });
  configure() {
    this.require("app", { strict: false });
  }
}
`;

const project = tempProject({ "components/app/component.ts": COMPONENTS });
afterAll(() => project.cleanup());

test(`fuzz: random and mutated environments, secrets and overrides give batou errors only (seed ${SEED}, ${CASES} cases)`, async () => {
  const started = performance.now();
  const outcomes = { accepted: 0, refused: 0, parseErrors: 0 };
  const problems: string[] = [];
  const printed: string[] = [];
  const reporter = new Reporter({ json: false, debug: false, color: false, out: (line) => printed.push(line), err: (line) => printed.push(line) });
  for (let i = 0; i < CASES; i++) {
    const file = i % 3 === 0 ? new TextEncoder().encode(environmentToml()) : i % 3 === 1 ? new TextEncoder().encode(baseWithValues()) : mutated();
    const secretsData = secrets();
    await Bun.write(`${project.dir}/environments/dev.toml`, file);
    printed.length = 0;
    try {
      const environment = await loadEnvironment({ projectRoot: project.dir, name: "dev", secrets: secretsData });
      environment.resolveAddresses = "on-hosts"; // no DNS for random names
      configure(environment);
      outcomes.accepted++;
    } catch (error) {
      reporter.error(error);
      const text = printed.join("\n");
      if (!(error instanceof BatouError) || text.includes("unexpected error")) {
        problems.push(`case ${i}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n--- environment:\n${new TextDecoder().decode(file)}\n--- secrets: ${JSON.stringify(secretsData)}`);
        continue;
      }
      outcomes.refused++;
      if (text.includes("TOML syntax error") || text.includes("not valid UTF-8")) outcomes.parseErrors++;
      // A clean error names where: every printed error has a file, host or component row.
      for (const block of text.split(/^(?=ERROR: )/m)) {
        if (!/\n\s+(file|host|component|secrets file|required by|roots|values|hint): /.test(block)) problems.push(`case ${i}: an error without location:\n${block}`);
      }
    }
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`fuzz: seed ${SEED}, ${CASES} cases in ${seconds.toFixed(1)} s: ${outcomes.accepted} accepted, ${outcomes.refused} refused with batou errors (${outcomes.parseErrors} of them TOML/UTF-8), ${problems.length} problems`);
  expect(problems.slice(0, 5)).toEqual([]);
  // The fuzzer must reach both sides: models that load and the checks behind the parser.
  expect(outcomes.accepted).toBeGreaterThan(CASES / 50);
  expect(outcomes.refused - outcomes.parseErrors).toBeGreaterThan(CASES / 4);
}, 300_000);
