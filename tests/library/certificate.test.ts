/**
 * `Certificate` checked with `openssl x509`: subject, alternative names,
 * expiry and the key's public half; renewed when it expires within
 * `renewDays` or its names change, kept otherwise; the key never shown.
 */
import { afterAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupProjects, deploy, makeProject, type Project } from "./helpers.ts";

afterAll(cleanupProjects);
setDefaultTimeout(60_000);

function openssl(...args: string[]): string {
  const r = Bun.spawnSync(["openssl", ...args]);
  if (r.exitCode !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.toString();
}

const project = (options: string): Project =>
  makeProject(
    { "components/app/component.ts": `import { Certificate, Component } from "batou";\nexport class App extends Component {\n  configure() { this.add(new Certificate("app.crt", ${options})); }\n}\n` },
    ["app"],
  );

const rewrite = (p: Project, options: string) =>
  p.write("components/app/component.ts", `import { Certificate, Component } from "batou";\nexport class App extends Component {\n  configure() { this.add(new Certificate("app.crt", ${options})); }\n}\n`);

describe("Certificate (openssl x509)", () => {
  test("a self-signed certificate with the names; kept while current; new names renew it with the same key", async () => {
    const p = project(`{ commonName: "app.test", altNames: ["www.app.test", "127.0.0.1"], days: 400 }`);
    const crt = join(p.work("app"), "app.crt");
    const key = join(p.work("app"), "app.key");
    const predicted = await deploy(p, { predict: true });
    expect(predicted.errors).toEqual([]);
    expect(predicted.logs).toContain(`${crt}: no key yet; a new self-signed certificate for DNS:app.test, DNS:www.app.test, IP:127.0.0.1, valid 400 days, with a new rsa:2048 key`);
    expect(existsSync(p.work("app"))).toBe(false);

    const first = await deploy(p);
    expect(first.errors).toEqual([]);
    expect(openssl("x509", "-in", crt, "-noout", "-subject")).toBe("subject=CN = app.test\n");
    expect(openssl("x509", "-in", crt, "-noout", "-ext", "subjectAltName")).toContain("DNS:app.test, DNS:www.app.test, IP Address:127.0.0.1");
    expect(openssl("x509", "-in", crt, "-noout", "-ext", "basicConstraints")).toContain("CA:FALSE");
    // valid for more than 399 days, not for more than 401
    expect(Bun.spawnSync(["openssl", "x509", "-in", crt, "-noout", "-checkend", String(399 * 86400)]).exitCode).toBe(0);
    expect(Bun.spawnSync(["openssl", "x509", "-in", crt, "-noout", "-checkend", String(401 * 86400)]).exitCode).toBe(1);
    expect(openssl("x509", "-in", crt, "-noout", "-pubkey")).toBe(openssl("pkey", "-in", key, "-pubout"));
    expect(openssl("pkey", "-in", key, "-noout", "-text_pub")).toContain("2048 bit");
    expect(statSync(key).mode & 0o777).toBe(0o600);
    const keyText = readFileSync(key, "utf8");
    expect(first.stdout + first.stderr).not.toContain(keyText.split("\n")[1]!);
    const certificate = readFileSync(crt, "utf8");

    const second = await deploy(p);
    expect(second.changed).toEqual([]);
    expect(readFileSync(crt, "utf8")).toBe(certificate);

    rewrite(p, `{ commonName: "app.test", altNames: ["api.app.test"], days: 400 }`);
    const renamed = await deploy(p);
    expect(renamed.logs).toEqual([
      `${crt}: its names are DNS:app.test, DNS:www.app.test, IP:127.0.0.1, not DNS:app.test, DNS:api.app.test; a new self-signed certificate for DNS:app.test, DNS:api.app.test, valid 400 days`,
    ]);
    expect(openssl("x509", "-in", crt, "-noout", "-ext", "subjectAltName")).toContain("DNS:app.test, DNS:api.app.test\n");
    expect(readFileSync(key, "utf8")).toBe(keyText);
    expect((await deploy(p)).changed).toEqual([]);

    rewrite(p, `{ commonName: "app.test", altNames: ["api.app.test"], days: 400, keyType: "ec:prime256v1" }`);
    const rekeyed = await deploy(p);
    expect(rekeyed.logs[0]).toStartWith(`${crt}: the key is not a ec:prime256v1 key;`);
    expect(openssl("pkey", "-in", key, "-noout", "-text_pub")).toContain("prime256v1");
    expect(openssl("x509", "-in", crt, "-noout", "-pubkey")).toBe(openssl("pkey", "-in", key, "-pubout"));
  });

  test("a certificate that expires within renewDays is renewed", async () => {
    const p = project(`{ commonName: "old.test", days: 90, renewDays: 10 }`);
    const crt = join(p.work("app"), "app.crt");
    const key = join(p.work("app"), "app.key");
    expect((await deploy(p)).errors).toEqual([]);
    // the same names and key, but only 5 days left
    const config = join(p.work("app"), "req.cnf");
    writeFileSync(config, "[req]\ndistinguished_name = dn\nprompt = no\nx509_extensions = ext\n[dn]\nCN = old.test\n[ext]\nsubjectAltName = DNS:old.test\n");
    openssl("req", "-x509", "-new", "-config", config, "-key", key, "-days", "5", "-out", crt);
    const run = await deploy(p);
    expect(run.logs[0]).toMatch(new RegExp(`^${crt}: it expires \\d{4}-\\d\\d-\\d\\d, within 10 days; a new self-signed certificate`));
    expect(Bun.spawnSync(["openssl", "x509", "-in", crt, "-noout", "-checkend", String(89 * 86400)]).exitCode).toBe(0);
    expect((await deploy(p)).changed).toEqual([]);
  });

  test("bad names are configuration errors naming the attribute", async () => {
    const run = await deploy(project(`{ commonName: "app.test", altNames: ["bad name/../x"] }`));
    expect(run.errors[0]?.message).toBe('invalid alternative name "bad name/../x"');
    expect(run.errors[0]?.context).toMatchObject({ component: "App > Certificate('app.crt')", attribute: "altNames" });
    const renew = await deploy(project(`{ commonName: "app.test", days: 10, renewDays: 30 }`));
    expect(renew.errors[0]?.message).toBe("renewDays is not less than days: every deploy would renew");
  });
});
