import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isOpenSshPrivateKey, openSshKeyHeader, readSshString } from "./openssh-key.ts";

const dir = mkdtempSync(join(tmpdir(), "batou-openssh-key-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function keygen(name: string, passphrase: string): { text: string; pubBlob: string } {
  const path = join(dir, name);
  const r = Bun.spawnSync(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", name, "-f", path]);
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  return { text: readFileSync(path, "utf8"), pubBlob: readFileSync(`${path}.pub`, "utf8").split(" ")[1]! };
}

test.skipIf(!Bun.which("ssh-keygen"))("the header names the cipher and the public key, also of a passphrase-protected key", () => {
  for (const [name, passphrase, cipher] of [["plain", "", "none"], ["locked", "pw", "aes256-ctr"]] as const) {
    const key = keygen(name, passphrase);
    expect(isOpenSshPrivateKey(key.text)).toBe(true);
    const header = openSshKeyHeader(key.text)!;
    expect(header.cipher).toBe(cipher);
    expect(Buffer.from(header.publicBlob).toString("base64")).toBe(key.pubBlob);
  }
});

test("not a key, or a truncated one: null", () => {
  expect(openSshKeyHeader("hello")).toBeNull();
  expect(openSshKeyHeader("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n")).toBeNull();
  expect(readSshString(new Uint8Array([0, 0, 0, 5, 1, 2]), 0)).toBeNull();
  expect(readSshString(new Uint8Array([0, 0, 0, 2, 7, 8, 9]), 0)).toEqual([new Uint8Array([7, 8]), 6]);
});
