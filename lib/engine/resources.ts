/**
 * Resources connect root components across hosts: a root `provide`s values
 * under a key, others `require` them. The registry remembers who asked for
 * what so the configure fixpoint knows whom to re-configure, what is
 * unsatisfied or unused, and in which order roots must deploy.
 */
import type { RootComponent } from "./root.ts";

export interface Subscription {
  root: RootComponent;
  host?: string;
  strict: boolean;
  reverse: boolean;
  dirty: boolean;
}

/** A subscription that sees values of `provider` under `key`. */
export interface ResourceLink {
  key: string;
  subscription: Subscription;
  provider: RootComponent;
}

export class Resources {
  /** key → provider root → values, in order of first provide. */
  private readonly provided = new Map<string, Map<RootComponent, unknown[]>>();
  /** key → subscriber identity → subscription (the latest one of each root). */
  private readonly subscribers = new Map<string, Map<string, Subscription>>();
  /** Roots whose required values changed since they were configured. */
  readonly dirtyRoots = new Set<RootComponent>();
  /** Keys each root required and got nothing for, in its last configure (for knock-on errors). */
  private readonly empty = new Map<RootComponent, Set<string>>();

  provide(root: RootComponent, key: string, value: unknown): void {
    let byRoot = this.provided.get(key);
    if (!byRoot) this.provided.set(key, (byRoot = new Map()));
    const values = byRoot.get(root);
    if (values) values.push(value);
    else byRoot.set(root, [value]);
    this.markSubscribersDirty(key, root);
  }

  require(root: RootComponent, key: string, options: Omit<Subscription, "root">): unknown[] {
    let subs = this.subscribers.get(key);
    if (!subs) this.subscribers.set(key, (subs = new Map()));
    subs.set(`${root.id}|${options.host ?? ""}`, { root, ...options });
    const values = this.get(key, options.host);
    if (values.length === 0) {
      const keys = this.empty.get(root);
      if (keys) keys.add(key);
      else this.empty.set(root, new Set([key]));
    }
    return values;
  }

  /** Keys `root` required in its last configure and got no value for. */
  emptyReads(root: RootComponent): ReadonlySet<string> {
    return this.empty.get(root) ?? new Set();
  }

  /** Values under `key`, only from providers on `host` when given. */
  get(key: string, host?: string): unknown[] {
    const result: unknown[] = [];
    for (const [root, values] of this.provided.get(key) ?? []) {
      if (host === undefined || root.host.name === host) result.push(...values);
    }
    return result;
  }

  /** Forgets what `root` provided and required before it configures again. */
  reset(root: RootComponent): void {
    this.empty.delete(root);
    for (const [key, byRoot] of this.provided) {
      if (byRoot.delete(root)) this.markSubscribersDirty(key, root);
    }
    // Subscriptions of earlier rounds must not keep counting (a quirk of the original).
    for (const subs of this.subscribers.values()) {
      for (const [id, sub] of subs) if (sub.root === root) subs.delete(id);
    }
  }

  private markSubscribersDirty(key: string, provider: RootComponent): void {
    for (const sub of this.subscribers.get(key)?.values() ?? []) {
      if (sub.dirty || sub.root === provider) continue;
      if (sub.host === undefined || sub.host === provider.host.name) this.dirtyRoots.add(sub.root);
    }
  }

  /** Strict requirements nothing satisfies: key, host filter, and who asked. */
  unsatisfied(): { key: string; host?: string; roots: RootComponent[] }[] {
    const result: { key: string; host?: string; roots: RootComponent[] }[] = [];
    for (const [key, subs] of this.subscribers) {
      const groups = new Map<string, RootComponent[]>();
      for (const sub of subs.values()) {
        if (!sub.strict || this.get(key, sub.host).length > 0) continue;
        const group = groups.get(sub.host ?? "") ?? [];
        group.push(sub.root);
        groups.set(sub.host ?? "", group);
      }
      for (const [host, roots] of groups) result.push({ key, host: host || undefined, roots });
    }
    return result;
  }

  /** Provided values no subscriber can see: key, provider and its values. */
  unused(): { key: string; root: RootComponent; values: unknown[] }[] {
    const result: { key: string; root: RootComponent; values: unknown[] }[] = [];
    for (const [key, byRoot] of this.provided) {
      const subs = [...(this.subscribers.get(key)?.values() ?? [])];
      for (const [root, values] of byRoot) {
        const used = subs.some((sub) => sub.host === undefined || sub.host === root.host.name);
        if (!used) result.push({ key, root, values });
      }
    }
    return result;
  }

  /**
   * Every subscription with each provider whose values it sees (the host
   * filter applied), under its key: who reads from whom (also for `batou graph`).
   */
  links(): ResourceLink[] {
    const result: ResourceLink[] = [];
    for (const [key, subs] of this.subscribers) {
      const providers = this.provided.get(key);
      if (!providers) continue;
      for (const subscription of subs.values()) {
        for (const provider of providers.keys()) {
          if (subscription.host === undefined || provider.host.name === subscription.host) result.push({ key, subscription, provider });
        }
      }
    }
    return result;
  }

  /** Roots that require a key they provide themselves (batou: a cycle of one), with the keys. */
  selfRequired(): { root: RootComponent; key: string }[] {
    const result: { root: RootComponent; key: string }[] = [];
    for (const { subscription, provider, key } of this.links()) if (subscription.root === provider) result.push({ root: provider, key });
    return result;
  }

  /**
   * `roots` and every root whose provided values they read, transitively:
   * what must configure for `roots` to configure as in the whole model.
   */
  withProviders(roots: Iterable<RootComponent>): Set<RootComponent> {
    const providersOf = new Map<RootComponent, RootComponent[]>();
    for (const { subscription: sub, provider } of this.links()) {
      const list = providersOf.get(sub.root);
      if (list) list.push(provider);
      else providersOf.set(sub.root, [provider]);
    }
    const result = new Set<RootComponent>();
    const visit = (root: RootComponent) => {
      if (result.has(root)) return;
      result.add(root);
      for (const provider of providersOf.get(root) ?? []) visit(provider);
    };
    for (const root of roots) visit(root);
    return result;
  }

  /**
   * Edges `root → roots it must deploy after` (providers first; `reverse` flips).
   * A root that reads its own resource gets no edge to itself: configure
   * reports that as an error of its own ({@link selfRequired}).
   */
  dependencies(roots: RootComponent[]): Map<RootComponent, Set<RootComponent>> {
    const graph = new Map<RootComponent, Set<RootComponent>>(roots.map((root) => [root, new Set()]));
    for (const { subscription: sub, provider } of this.links()) {
      if (sub.root === provider) continue;
      if (sub.reverse) graph.get(provider)?.add(sub.root);
      else graph.get(sub.root)?.add(provider);
    }
    return graph;
  }
}
