/**
 * Projects for `batou graph` tests, as files for `tempProject()`. Nothing is
 * deployed from them: graph never connects, so the SSH hosts need not exist.
 *
 * - `multiHost`: four hosts, one ignored, one `!component`, resources across
 *   hosts with a host filter, a `reverse` and a `dirty` requirement;
 * - `cycle`: two roots on two hosts that require each other, and a third that
 *   only hangs off the cycle;
 * - `missing`: a strict requirement nothing provides;
 * - `failing`: a root whose configure() throws.
 */

/** A component file: `class NAME` with `body` as its configure(). */
function component(name: string, body: string): string {
  return `import { Component } from "batou";\n\nexport class ${name} extends Component {\n  configure() {\n${body}\n  }\n}\n`;
}

export const multiHost: Record<string, string> = {
  "environments/prod.toml": `[environment]
connect_method = "ssh"
host_domain = "example.com"
service_user = "app"

[hosts.web1]
components = ["app", "frontend", "!monitoring"]
platform = "debian"
service_user = "www"

[hosts.web2]
components = ["app"]

[hosts.db1]
components = ["database"]
platform = "debian"
service_user = "postgres"

[hosts.backup]
components = ["backup"]
ignore = true
`,
  "components/database/component.ts": component("Database", `    this.provide("database", { host: this.host.fqdn, port: 5432 });`),
  "components/app/component.ts": component(
    "App",
    `    const db = this.requireOne<{ host: string }>("database");
    this.provide("app", { host: this.host.fqdn, db: db.host });`,
  ),
  "components/frontend/component.ts": component("Frontend", `    this.require("app", { host: this.host.name });`),
  "components/monitoring/component.ts": component("Monitoring", `    this.require("app", { dirty: true });`),
  "components/backup/component.ts": component("Backup", `    this.require("database", { reverse: true });`),
};

export const cycle: Record<string, string> = {
  "environments/loop.toml": `[environment]
connect_method = "ssh"

[hosts.alpha]
components = ["first"]

[hosts.beta]
components = ["second", "bystander"]
`,
  "components/first/component.ts": component("First", `    this.require("second-url");\n    this.provide("first-url", "http://alpha");`),
  "components/second/component.ts": component("Second", `    this.require("first-url");\n    this.provide("second-url", "http://beta");`),
  "components/bystander/component.ts": component("Bystander", `    this.require("first-url");`),
};

export const missing: Record<string, string> = {
  "environments/dev.toml": `[environment]
connect_method = "local"

[hosts.localhost]
components = ["app"]
`,
  "components/app/component.ts": component("App", `    this.require("database");`),
};

export const failing: Record<string, string> = {
  "environments/dev.toml": `[environment]
connect_method = "local"

[hosts.localhost]
components = ["provider", "consumer"]
`,
  "components/provider/component.ts": component("Provider", `    throw new Error("no url configured");`),
  "components/consumer/component.ts": component("Consumer", `    this.require("url");`),
};
