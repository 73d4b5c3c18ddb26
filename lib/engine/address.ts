/**
 * Network addresses of services (batou.utils.Address and NetLoc).
 *
 * ```ts
 * const address = new Address("db.example.com:5432");
 * address.connect.toString();   // "db.example.com:5432": what clients connect to
 * address.listen?.host;         // "10.0.0.5": the IPv4 address to bind, resolved on the host
 * address.listenV6;             // the IPv6 one (needs require_v6), or null when "optional" and absent
 * `${address}`;                 // "db.example.com:5432" (templates too)
 * ```
 *
 * Resolution uses the environment's `[resolver]` pins first, then the system
 * resolver; link-local IPv6 addresses (fe80::/10) are skipped. It happens on
 * the host the component is configured for: the agent there resolves; the
 * deploying machine, when it configures a remote environment to check it,
 * leaves names it cannot answer from `[resolver]` unresolved.
 */
import { isIP } from "node:net";
import type { Requirement } from "./environment-schema.ts";
import { ConfigurationError } from "./errors.ts";
import { resolveSync } from "./resolve-sync.ts";

/** A host and an optional port; `[v6]:port` when the host is an IPv6 address. */
export class NetLoc {
  constructor(
    readonly host: string,
    readonly port?: number,
  ) {}

  toString(): string {
    if (this.port === undefined) return this.host;
    return this.host.includes(":") ? `[${this.host}]:${this.port}` : `${this.host}:${this.port}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** Where and how addresses resolve: set by the engine while a component configures. */
export interface AddressContext {
  resolver: Readonly<Record<string, readonly string[]>>;
  requireV4: Requirement;
  requireV6: Requirement;
  /** `"here"`: resolve on this machine; `"on-hosts"`: only `[resolver]` pins here, the rest on the hosts. */
  resolve: "here" | "on-hosts";
  timeout: number;
}

const DEFAULT_CONTEXT: AddressContext = { resolver: {}, requireV4: true, requireV6: false, resolve: "here", timeout: 30 };
let current: AddressContext = DEFAULT_CONTEXT;

/** Runs `fn` with `context` for every Address created meanwhile (configure() is synchronous). */
export function withAddressContext<T>(context: AddressContext, fn: () => T): T {
  const previous = current;
  current = context;
  try {
    return fn();
  } finally {
    current = previous;
  }
}

export interface AddressOptions {
  /** IPv4: required (`true`, default: the environment's `require_v4`), not used (`false`) or `"optional"`. */
  requireV4?: Requirement;
  /** IPv6, as `requireV4` (default: the environment's `require_v6`). */
  requireV6?: Requirement;
}

const FORMS = 'HOST:PORT, [IPv6]:PORT, or new Address(host, port)';

function parsePort(text: string | number, address: string): number {
  const port = typeof text === "number" ? text : /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigurationError(`address "${address}" has no valid port`, { expected: "a port from 0 to 65535", given: String(text) });
  }
  return port;
}

/** Splits `host:port` / `[v6]:port`; a missing port is an error. */
function split(address: string): [string, number] {
  const bracketed = /^\[([^\]]+)\]:(.+)$/.exec(address);
  if (bracketed) return [bracketed[1]!, parsePort(bracketed[2]!, address)];
  const colon = address.lastIndexOf(":");
  if (colon <= 0 || address.indexOf(":") !== colon) {
    const hint = isIP(address) === 6 ? "write an IPv6 address in brackets: [::1]:8080" : undefined;
    throw new ConfigurationError(`address "${address}" has no port`, { expected: FORMS, hint });
  }
  return [address.slice(0, colon), parsePort(address.slice(colon + 1), address)];
}

/** What a lookup returned, without link-local IPv6 addresses (fe80::/10): nobody can listen on those without an interface. */
export function usableAddresses(addresses: readonly string[]): string[] {
  return addresses.filter((ip) => !/^fe[89ab][0-9a-f]:/i.test(ip));
}

/** A service address: `connect` as given, `listen`/`listenV6` resolved when first read. */
export class Address {
  readonly connect: NetLoc;
  readonly requireV4: Requirement;
  readonly requireV6: Requirement;
  private readonly context: AddressContext;
  private readonly resolved = new Map<4 | 6, NetLoc | null>();

  constructor(connect: string, port?: number | string, options: AddressOptions = {}) {
    if (typeof connect !== "string" || connect.trim() === "") {
      throw new ConfigurationError("an address needs a host", { expected: FORMS, given: JSON.stringify(connect) });
    }
    const [host, parsedPort] = port === undefined ? split(connect.trim()) : [connect.trim(), parsePort(port, connect)];
    this.connect = new NetLoc(host, parsedPort);
    this.context = current;
    this.requireV4 = options.requireV4 ?? current.requireV4;
    this.requireV6 = options.requireV6 ?? current.requireV6;
    if (this.requireV4 === false && this.requireV6 === false) {
      throw new ConfigurationError(`address "${this.connect}" can use neither IPv4 nor IPv6`, {
        hint: "require_v4 and require_v6 are both false; set one to true or \"optional\"",
      });
    }
  }

  /** The IPv4 address to listen on; `null` when IPv4 is `"optional"` and the name has none. */
  get listen(): NetLoc | null {
    return this.family(4);
  }

  /** The IPv6 address to listen on (never link-local); `null` when IPv6 is `"optional"` and the name has none. */
  get listenV6(): NetLoc | null {
    return this.family(6);
  }

  private family(family: 4 | 6): NetLoc | null {
    const requirement = family === 4 ? this.requireV4 : this.requireV6;
    if (requirement === false) {
      throw new ConfigurationError(`IPv${family} is not configured for address "${this.connect}"`, {
        hint: `set require_v${family} = true in the environment, or new Address(…, { requireV${family}: true })`,
      });
    }
    if (!this.resolved.has(family)) this.resolved.set(family, this.lookup(family, requirement));
    return this.resolved.get(family)!;
  }

  private lookup(family: 4 | 6, requirement: Requirement): NetLoc | null {
    const { host, port } = this.connect;
    const at = (ip: string) => new NetLoc(ip, port);
    const pinned = Object.hasOwn(this.context.resolver, host) ? this.context.resolver[host]!.find((ip) => isIP(ip) === family) : undefined;
    if (pinned) return at(pinned);
    const literal = isIP(host);
    if (literal === family) return at(host);
    const missing = (reason: string) => {
      if (requirement === "optional") return null;
      throw new ConfigurationError(`cannot resolve "${host}" to an IPv${family} address: ${reason}`, {
        address: this.connect.toString(),
        hint: `pin it in [resolver], or set require_v${family} = "optional"`,
      });
    };
    if (literal !== 0) return missing(`it is an IPv${literal} address`);
    if (this.context.resolve === "on-hosts") return at(host);
    const result = resolveSync(host, family, this.context.timeout);
    if ("error" in result) return missing(result.error);
    const usable = usableAddresses(result.addresses);
    if (usable.length === 0) return missing(result.addresses.length ? "only link-local addresses" : "no address of that family");
    return at(usable[0]!);
  }

  toString(): string {
    return this.connect.toString();
  }

  toJSON(): string {
    return this.toString();
  }
}
