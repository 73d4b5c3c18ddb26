/**
 * Local render speed: configures one component with 1,000 templated Files
 * (one template, different arguments, as a project with many similar config
 * files) and reports the best of five configure times. Not a test.
 *
 *     bun tests/templates/tools/render-bench.ts [repository root]
 *
 * The root argument lets the same measurement run against another checkout
 * (e.g. main before a change).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(process.argv[2] ?? join(import.meta.dir, "../../.."));
const { Component } = await import(join(root, "lib/batou.ts"));
const { File } = await import(join(root, "lib/library/file.ts"));
const { model, cleanupModels } = await import(join(root, "tests/helpers/model.ts"));

const dir = mkdtempSync(join(tmpdir(), "batou-render-bench-"));
const template = join(dir, "site.conf");
writeFileSync(
  template,
  `# {{ batou_generated_header }}
upstream {{ args.name }} {
{% for server in args.servers %}    server {{ server.host }}:{{ server.port }} weight={{ loop.index }};
{% endfor %}}
server {
    listen {{ args.port }};
    server_name {{ args.name }}.{{ host.fqdn }};
{% if args.tls %}    ssl_certificate /etc/ssl/{{ args.name }}.pem;
{% endif %}{% for path, target in args.locations | dictsort %}    location {{ path }} { proxy_pass http://{{ target | upper }}; }
{% endfor %}    # {{ args.hosts | join(', ') }}
}
`,
);

const FILES = 1000;
class Site extends Component {
  configure() {
    for (let i = 0; i < FILES; i++) {
      const servers = [1, 2, 3].map((n) => ({ host: `app${n}`, port: 8000 + n }));
      this.add(new File(join(dir, "out", `site${i}.conf`), { source: template, templateArgs: { name: `site${i}`, port: 8080 + i, tls: i % 2 === 0, servers, hosts: servers.map((s) => s.host), locations: { "/": `site${i}`, "/api": `api${i}` } } }));
    }
  }
}

const times: number[] = [];
for (let run = 0; run < 5; run++) {
  const m = model({ components: { site: Site }, hosts: { web01: ["site"] } });
  const start = performance.now();
  m.configure();
  times.push(performance.now() - start);
  cleanupModels();
}
rmSync(dir, { recursive: true, force: true });
console.log(`${FILES} templated files configured: best ${Math.min(...times).toFixed(0)} ms, median ${times.sort((a, b) => a - b)[2]!.toFixed(0)} ms (${root})`);
