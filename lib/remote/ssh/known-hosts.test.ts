import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  appendKnownHost, checkHostKey, decideHostKey, fingerprintSha256, hostFieldMatches, keyTypeOfBlob, knownHostName, knownKeyTypes,
} from "./known-hosts.ts";

const dir = mkdtempSync(join(tmpdir(), "batou-kh-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh ed25519 key: its known_hosts "type base64" text and the blob. */
function newKey(name: string): { text: string; blob: Buffer; file: string } {
  const file = join(dir, name);
  spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", file]);
  const text = readFileSync(`${file}.pub`, "utf8").split(" ").slice(0, 2).join(" ");
  return { text, blob: Buffer.from(text.split(" ")[1], "base64"), file };
}
let k1: ReturnType<typeof newKey>;
let k2: ReturnType<typeof newKey>;
beforeAll(() => {
  k1 = newKey("k1");
  k2 = newKey("k2");
});
function kh(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

test("fingerprint and key type match ssh-keygen", () => {
  const out = spawnSync("ssh-keygen", ["-l", "-E", "sha256", "-f", `${k1.file}.pub`], { encoding: "utf8" }).stdout;
  expect(out.split(" ")[1]).toBe(fingerprintSha256(k1.blob));
  expect(keyTypeOfBlob(k1.blob)).toBe("ssh-ed25519");
});

test("knownHostName uses [host]:port except for port 22 and aliases", () => {
  expect(knownHostName("h", 22)).toBe("h");
  expect(knownHostName("h", null)).toBe("h");
  expect(knownHostName("h", 2222)).toBe("[h]:2222");
});

test("host patterns: lists, wildcards, negation, [host]:port", () => {
  expect(hostFieldMatches("a,b,10.0.0.1", "b")).toBe(true);
  expect(hostFieldMatches("*.example.com,!bad.example.com", "good.example.com")).toBe(true);
  expect(hostFieldMatches("*.example.com,!bad.example.com", "bad.example.com")).toBe(false);
  expect(hostFieldMatches("[127.0.0.1]:2201", "[127.0.0.1]:2201")).toBe(true);
  expect(hostFieldMatches("[127.0.0.1]:2201", "127.0.0.1")).toBe(false);
  expect(hostFieldMatches("host?", "host1")).toBe(true);
});

describe("checkHostKey", () => {
  test("ok, with the matching line", () => {
    const f = kh("plain", `# comment\nother ${k2.text}\nhost1,10.0.0.1 ${k1.text}\n`);
    const c = checkHostKey("host1", null, k1.blob, [f]);
    expect(c.status).toBe("ok");
    expect(c.entries[0]).toMatchObject({ file: f, line: 3 });
  });

  test("unknown when no entry names the host; files that do not exist are fine", () => {
    const f = kh("empty", "");
    const c = checkHostKey("host1", 22, k1.blob, [f, join(dir, "missing")]);
    expect(c.status).toBe("unknown");
    expect(c.fingerprint).toBe(fingerprintSha256(k1.blob));
  });

  test("changed when the host has another key of the same type", () => {
    const f = kh("changed", `host1 ${k2.text}\n`);
    const c = checkHostKey("host1", null, k1.blob, [f]);
    expect(c.status).toBe("changed");
    expect(c.entries.map((e) => e.line)).toEqual([1]);
  });

  test("[host]:port entries only match that port", () => {
    const f = kh("port", `[10.0.0.1]:2222 ${k1.text}\n`);
    expect(checkHostKey("10.0.0.1", 2222, k1.blob, [f]).status).toBe("ok");
    expect(checkHostKey("10.0.0.1", 22, k1.blob, [f]).status).toBe("unknown");
  });

  test("hashed entries (ssh-keygen -H) match", () => {
    const f = kh("hashed", `myhost ${k1.text}\n[myhost]:2200 ${k2.text}\n`);
    expect(spawnSync("ssh-keygen", ["-H", "-f", f]).status).toBe(0);
    expect(readFileSync(f, "utf8")).toStartWith("|1|");
    expect(readFileSync(f, "utf8")).not.toContain("myhost");
    expect(checkHostKey("myhost", 22, k1.blob, [f]).status).toBe("ok");
    expect(checkHostKey("myhost", 2200, k2.blob, [f]).status).toBe("ok");
    expect(checkHostKey("myhost", 22, k2.blob, [f]).status).toBe("changed");
    expect(checkHostKey("otherhost", 22, k1.blob, [f]).status).toBe("unknown");
    expect(knownKeyTypes("myhost", 22, [f])).toEqual(["ssh-ed25519"]);
  });

  test("@revoked refuses even when another line accepts the key", () => {
    const f = kh("revoked", `host1 ${k1.text}\n@revoked * ${k1.text}\n@cert-authority *.x ${k2.text}\n`);
    const c = checkHostKey("host1", null, k1.blob, [f]);
    expect(c.status).toBe("revoked");
    expect(c.entries[0].line).toBe(2);
  });
});

describe("decideHostKey", () => {
  test("unknown is refused by default, naming host, fingerprint and files", () => {
    const f = kh("empty2", "");
    const c = checkHostKey("host1", null, k1.blob, [f]);
    for (const strict of ["yes", "ask"] as const) {
      const d = decideHostKey("host1", c, strict);
      expect(d.accept).toBe(false);
      expect(d.message).toContain(c.fingerprint);
      expect(d.message).toContain(f);
      expect(d.message).toContain("'host1'");
    }
  });

  test("StrictHostKeyChecking=no accepts unknown keys with a warning, never changed ones", () => {
    const f = kh("nochk", `host1 ${k2.text}\n`);
    const unknown = decideHostKey("h", checkHostKey("host9", null, k1.blob, [f]), "no");
    expect(unknown.accept).toBe(true);
    expect(unknown.warning).toContain("WARNING");
    expect(unknown.warning).toContain(fingerprintSha256(k1.blob));
    const changed = decideHostKey("h", checkHostKey("host1", null, k1.blob, [f]), "no");
    expect(changed.accept).toBe(false);
    expect(changed.message).toContain("HOST KEY HAS CHANGED");
    expect(changed.message).toContain(`${f}:1`);
  });

  test("accept-new records the key, after which it is ok", () => {
    const f = kh("acceptnew", `other ${k2.text}`);
    const d = decideHostKey("h", checkHostKey("newhost", 2022, k1.blob, [f]), "accept-new");
    expect(d).toMatchObject({ accept: true, record: f });
    appendKnownHost(f, "[newhost]:2022", k1.blob);
    expect(checkHostKey("newhost", 2022, k1.blob, [f]).status).toBe("ok");
    expect(checkHostKey("other", 22, k2.blob, [f]).status).toBe("ok");
  });

  test("a key of a new type for a host known only by other key types is refused like a changed key, even with accept-new or no", () => {
    const ecdsa = join(dir, "ecdsa");
    spawnSync("ssh-keygen", ["-q", "-t", "ecdsa", "-N", "", "-f", ecdsa]);
    const f = kh("onlyecdsa", `host1 ${readFileSync(`${ecdsa}.pub`, "utf8").split(" ").slice(0, 2).join(" ")}\n`);
    const check = checkHostKey("host1", null, k1.blob, [f]);
    expect(check).toMatchObject({ status: "unknown", knownTypes: ["ecdsa-sha2-nistp256"] });
    for (const strict of ["accept-new", "no", "yes", "ask"] as const) {
      const d = decideHostKey("h", check, strict);
      expect(d.accept).toBe(false);
      expect(d.record).toBeUndefined();
      expect(d.message).toStartWith("HOST KEY HAS CHANGED for 'host1': the host presented ssh-ed25519 key");
      expect(d.message).toContain("only knows ecdsa-sha2-nistp256 keys");
    }
  });
});

test("a host known only through @cert-authority is refused by ssh2 whatever StrictHostKeyChecking says, pointing to OpenSSH", () => {
  const f = kh("ca-only", `# the CA\n@cert-authority *.example.org,web1 ${k2.text}\n`);
  const check = checkHostKey("web1", null, k1.blob, [f]);
  expect(check.status).toBe("unknown");
  expect(check.authorities?.map((e) => e.line)).toEqual([2]);
  for (const strict of ["accept-new", "no", "yes", "ask"] as const) {
    const d = decideHostKey("web1", check, strict);
    expect(d.accept).toBe(false);
    expect(d.record).toBeUndefined();
    expect(d.message).toBe(
      `host key is not known: the host presented ssh-ed25519 key ${fingerprintSha256(k1.blob)} for 'web1', and ${f}:2 trusts a certificate authority for it,` +
        ` whose host certificates the built-in SSH client (ssh2) cannot check: set ssh_client = "openssh" for this host or the environment: the system's OpenSSH does this`,
    );
  }
  // a CA for other hosts changes nothing
  expect(checkHostKey("db1", null, k1.blob, [f]).authorities).toEqual([]);
});
