/**
 * The environment file's schema: every section and key once, with its check,
 * its default and the text docs/environments.md shows for it (a test keeps the
 * two equal; `BATOU_WRITE_DOCS=1 bun test tests/unit/environment-docs.test.ts`
 * rewrites the tables).
 *
 * A key or value that is `planned` is part of the format but not implemented
 * yet: a file that uses it is refused with an error saying so, never silently
 * accepted. Whoever implements it removes the `planned` mark.
 */
import { isIP } from "node:net";

/** A checked value, or what is wrong with it (completes "KEY must be …" / "KEY …"). */
export type Checked<T> = { value: T } | { problem: string };

/** How the values of one key are checked and converted. */
export interface ValueType<T> {
  /** The allowed values as the docs show them: `a string`, `"ssh", "local"`. */
  readonly shows: string;
  check(value: unknown): Checked<T>;
}

export interface KeySpec<T> {
  type: ValueType<T>;
  /** The value when the key is absent (none: unset). */
  default?: T;
  /** What the key means (one sentence, Markdown). */
  doc: string;
  /** Part of the format, not implemented yet: a file that sets it is refused. */
  planned?: boolean;
}

const must = (expected: string) => ({ problem: `must be ${expected}` });

/** A finite number: TOML's `nan` and `inf` are refused everywhere. */
export function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

const string: ValueType<string> = {
  shows: "a non-empty string",
  check: (v) => (typeof v === "string" && v !== "" ? { value: v } : must("a non-empty string")),
};

const boolean: ValueType<boolean> = {
  shows: "`true`, `false`",
  check: (v) => (typeof v === "boolean" ? { value: v } : must("true or false")),
};

const positiveInteger: ValueType<number> = {
  shows: "a positive integer",
  check: (v) => (Number.isSafeInteger(v) && (v as number) > 0 ? { value: v as number } : must("a positive integer")),
};

const positiveNumber: ValueType<number> = {
  shows: "a positive number",
  check: (v) => (isFiniteNumber(v) && v > 0 ? { value: v } : must("a positive number")),
};

/**
 * One of `allowed` strings; values in `planned` are part of the format but
 * refused until they are implemented.
 */
function oneOf<const T extends string>(allowed: readonly T[], planned: readonly T[] = []): ValueType<T> {
  const quoted = (values: readonly string[]) => values.map((a) => `"${a}"`).join(", ");
  const code = (values: readonly string[]) => values.map((a) => `\`"${a}"\``).join(", ");
  return {
    shows: code(allowed.filter((a) => !planned.includes(a))) + (planned.length ? `; planned: ${code(planned)}` : ""),
    check(v) {
      if (planned.includes(v as T)) return { problem: `= "${v}" is not implemented yet` };
      return allowed.includes(v as T) ? { value: v as T } : must(quoted(allowed.filter((a) => !planned.includes(a))).replace(/, (?=[^,]*$)/, " or "));
    },
  };
}

const stringList: ValueType<string[]> = {
  shows: "an array of strings",
  check: (v) => (Array.isArray(v) && v.every((item) => typeof item === "string") ? { value: v as string[] } : must("an array of strings")),
};

/** A free-form table (host data): checked value by value by the reader. */
const table: ValueType<Record<string, unknown>> = {
  shows: "a table",
  check: (v) => (isTable(v) ? { value: v } : must("a table")),
};

/** `exec = ["podman", "exec", "-i", "{host}"]`: argv, `{host}` replaced by the host name (any other `{...}` is a typo). */
const argv: ValueType<string[]> = {
  shows: 'an array of strings, `"{host}"` replaced',
  check: (v) => {
    if (!(Array.isArray(v) && v.length > 0 && v.every((item) => typeof item === "string" && item !== ""))) return must("a non-empty array of non-empty strings");
    const unknown = [...new Set(v.flatMap((word: string) => word.match(/\{[^{}]*\}/g) ?? []))].filter((p) => p !== "{host}");
    return unknown.length ? { problem: `has the unknown placeholder ${unknown.map((p) => `"${p}"`).join(", ")} (only "{host}" is replaced)` } : { value: v as string[] };
  },
};

/** `require_v4`/`require_v6`: the address family must resolve, must not be used, or may be absent. */
export type Requirement = boolean | "optional";
const requirement: ValueType<Requirement> = {
  shows: '`true`, `false`, `"optional"`',
  check: (v) => (v === true || v === false || v === "optional" ? { value: v } : must('true, false or "optional"')),
};

/** True when `value` is a TOML table (a plain or null-prototype object, not an array or a date). */
export function isTable(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}

export type ConnectMethod = "ssh" | "local" | "vagrant" | "exec";
export type SshClient = "ssh2" | "openssh";

/** `[environment]`, read. */
export interface EnvironmentSettings {
  connectMethod: ConnectMethod;
  exec?: string[];
  hostDomain?: string;
  serviceUser?: string;
  targetDirectory: string;
  platform?: string;
  jobs: number;
  timeout: number;
  branch?: string;
  clean: boolean;
  sshClient: SshClient;
  requireV4: Requirement;
  requireV6: Requirement;
}

/** Keys shared by `[environment]` and `[hosts.NAME]` (a host's value wins). */
const platform: KeySpec<string> = { type: string, doc: "platform of hosts (chooses platform variants of components)" };
const serviceUser: KeySpec<string> = { type: string, doc: "run as this user on the hosts (`sudo -u` when the login user differs)" };
const sshClient: KeySpec<SshClient> = {
  type: oneOf(["ssh2", "openssh"] as const),
  default: "ssh2",
  doc: "`ssh2` (built in) or `openssh` (the system's `ssh` and its configuration, one ControlMaster per host: certificates, FIDO keys, GSSAPI, `Match exec`): [the OpenSSH transport](remote.md#the-openssh-transport)",
};

/** Every key of `[environment]`, by its TOML name, in the order the docs list them. */
export const ENVIRONMENT_KEYS = {
  connect_method: {
    prop: "connectMethod",
    type: oneOf(["ssh", "local", "vagrant", "exec"] as const),
    default: "ssh",
    doc: "how hosts are reached: over SSH, on this machine, over SSH with the settings of `vagrant ssh-config HOST`, or through the `exec` command (docs/remote.md, Other targets)",
  },
  exec: {
    prop: "exec",
    type: argv,
    doc: 'with `connect_method = "exec"` (and only then): the command that runs a program inside a host with its stdin and stdout connected, as argv (never through a shell), `{host}` replaced by the host\'s name, e.g. `["podman", "exec", "-i", "{host}"]` or `["kubectl", "exec", "-i", "{host}", "--"]`',
  },
  host_domain: { prop: "hostDomain", type: string, doc: "appended to host names without a dot (the FQDN)" },
  service_user: { prop: "serviceUser", ...serviceUser },
  target_directory: {
    prop: "targetDirectory",
    type: string,
    default: "deployment",
    doc: "where the project lives on a host, relative to the service user's home; root components work in `<target_directory>/work/<component>`",
  },
  platform: { prop: "platform", ...platform },
  jobs: { prop: "jobs", type: positiveInteger, default: 1, doc: "root components deployed in parallel (`-j` overrides it)" },
  timeout: { prop: "timeout", type: positiveNumber, default: 30, doc: "seconds for connecting and for each remote step (`-t` overrides it)" },
  branch: { prop: "branch", type: string, doc: "the git branch a deployment must be on, unless `--dirty`" },
  clean: {
    prop: "clean",
    type: boolean,
    default: false,
    doc: "refuse to deploy uncommitted or unpushed changes, unless `--dirty`",
  },
  ssh_client: { prop: "sshClient", ...sshClient },
  require_v4: {
    prop: "requireV4",
    type: requirement,
    default: true,
    doc: "`Address` resolves IPv4 (`listen`): required, not used, or `\"optional\"` (absent is no error)",
  },
  require_v6: {
    prop: "requireV6",
    type: requirement,
    default: false,
    doc: "`Address` resolves IPv6 (`listenV6`), as `require_v4`",
  },
} satisfies { [key: string]: KeySpec<unknown> & { prop: keyof EnvironmentSettings } };

/** `[hosts.NAME]`, read. */
export interface HostSettings {
  name: string;
  /** Root components in the order given; `!name` ignored, `name:feature` features. */
  components: HostComponent[];
  platform?: string;
  serviceUser?: string;
  sshClient?: SshClient;
  ignore: boolean;
  data: Record<string, unknown>;
}

/** One entry of a host's `components`, merged by name (`["!a:x", "a:y"]` is one ignored `a` with features x, y). */
export interface HostComponent {
  name: string;
  ignore: boolean;
  features: string[];
  line?: number;
}

/** Every key of `[hosts.NAME]`. */
export const HOST_KEYS = {
  components: {
    prop: "components",
    type: stringList,
    default: [],
    doc: 'root components of the host: `"name"`, `"!name"` (configured, resources count, not deployed), `"name:feature"` (adds to the component\'s `features`)',
  },
  platform: { prop: "platform", ...platform, doc: "the host's platform (default: the environment's)" },
  service_user: { prop: "serviceUser", ...serviceUser, doc: "the host's service user (default: the environment's)" },
  ssh_client: { prop: "sshClient", ...sshClient, default: undefined, doc: "the host's SSH client (default: the environment's)" },
  ignore: { prop: "ignore", type: boolean, default: false, doc: "configured (its resources count), never connected to" },
  data: { prop: "data", type: table, default: {}, doc: "free-form data: `host.data` in components and templates" },
} satisfies { [key: string]: KeySpec<unknown> & { prop: keyof HostSettings } };

/** `[vfs]`: local sandboxes that map absolute paths into the work directory. */
export type VfsSettings = { sandbox: "Developer" } | { sandbox: "Map"; rules: [prefix: string, replacement: string][] };

export const VFS_KEYS = {
  sandbox: {
    type: oneOf(["Developer", "Map"] as const),
    doc: '`"Developer"`: every absolute path `/p` becomes `work/_/p`; `"Map"`: the other keys of `[vfs]` are rules',
  },
  "/PREFIX": {
    type: { shows: "an absolute path", check: (v: unknown) => string.check(v) },
    doc: 'with `sandbox = "Map"`: `"/srv" = "/home/me/srv"` maps paths under `/srv` (longest prefix first)',
  },
} satisfies { [key: string]: KeySpec<unknown> };

/** `[resolver]`: names pinned to addresses for `Address` (never for SSH). */
export const RESOLVER_KEYS = {
  NAME: {
    type: {
      shows: 'an IP address, or `["IPv4", "IPv6"]`',
      check: (v: unknown): Checked<string[]> => {
        const list = typeof v === "string" ? [v] : v;
        if (!Array.isArray(list) || list.length === 0 || list.length > 2 || !list.every((a) => typeof a === "string" && isIP(a))) {
          return must('an IP address or an array of one IPv4 and one IPv6 address');
        }
        if (list.length === 2 && isIP(list[0]) === isIP(list[1])) return must("one address per family");
        return { value: list };
      },
    },
    doc: '`"db.example.com" = "10.0.0.5"`: `Address` resolves the name to this address',
  },
} satisfies { [key: string]: KeySpec<unknown> };

/** Every section, with what it holds. */
export const SECTIONS = {
  environment: "settings of the whole environment (the keys below)",
  "hosts.NAME": "one host: its root components and settings",
  "hosts.NAME.data": "the host's `data`, as a sub-table",
  "components.NAME": "overrides of the top-level component `NAME`'s attributes",
  resolver: "names pinned to addresses for `Address` (tests, split-horizon DNS)",
  vfs: "local sandboxes: absolute paths mapped into the work directory",
} as const;

/** The settings an environment has when its file sets nothing. */
export function defaultSettings(): EnvironmentSettings {
  const settings: Record<string, unknown> = {};
  for (const spec of Object.values(ENVIRONMENT_KEYS) as (KeySpec<unknown> & { prop: string })[]) {
    if (spec.default !== undefined) settings[spec.prop] = structuredClone(spec.default);
  }
  return settings as unknown as EnvironmentSettings;
}

/** The Markdown table of `keys` that docs/environments.md holds (and a test compares). */
export function keysTable(keys: Record<string, KeySpec<unknown>>): string {
  const rows = Object.entries(keys).map(([key, spec]) => {
    const shown = spec.default === undefined ? "(none)" : `\`${JSON.stringify(spec.default)}\``;
    const doc = spec.planned ? `${spec.doc} (**planned**: refused until implemented)` : spec.doc;
    return `| \`${key}\` | ${spec.type.shows} | ${shown} | ${doc} |`;
  });
  return ["| key | value | default | meaning |", "|---|---|---|---|", ...rows].join("\n");
}

/** The Markdown table of the sections. */
export function sectionsTable(): string {
  const rows = Object.entries(SECTIONS).map(([name, doc]) => `| \`[${name}]\` | ${doc} |`);
  return ["| section | holds |", "|---|---|", ...rows].join("\n");
}
