/** Which identities ssh2 offers: a FIDO (sk) key it cannot use is an error when configured, never replaced by another key. */
import { afterAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collectAuthCandidates } from "./auth-keys.ts";
import { resolveSshSettings } from "./config.ts";
import type { SshError } from "./ssh-error.ts";

const dir = mkdtempSync(join(tmpdir(), "batou-authkeys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sshString = (bytes: Uint8Array | string) => {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  const out = Buffer.alloc(4 + data.length);
  out.writeUInt32BE(data.length);
  out.set(data, 4);
  return out;
};

/**
 * An OpenSSH private key file holding an `sk-ssh-ed25519@openssh.com` key
 * (made without a security key: only its unencrypted header is read).
 */
function skKeyFile(name: string): string {
  const publicBlob = Buffer.concat([sshString("sk-ssh-ed25519@openssh.com"), sshString(new Uint8Array(32).fill(7)), sshString("ssh:")]);
  const nkeys = Buffer.alloc(4);
  nkeys.writeUInt32BE(1);
  const raw = Buffer.concat([Buffer.from("openssh-key-v1\0"), sshString("none"), sshString("none"), sshString(""), nkeys, sshString(publicBlob), sshString(new Uint8Array(16))]);
  const file = join(dir, name);
  writeFileSync(file, `-----BEGIN OPENSSH PRIVATE KEY-----\n${raw.toString("base64").replace(/.{70}/g, "$&\n")}\n-----END OPENSSH PRIVATE KEY-----\n`, { mode: 0o600 });
  return file;
}

test("a configured FIDO key is an error naming the file and pointing to OpenSSH, although another key could be offered", async () => {
  const sk = skKeyFile("id_ed25519_sk");
  const plain = join(dir, "id_plain");
  spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", plain]);
  const config = join(dir, "config");
  writeFileSync(config, `Host h\n    IdentityFile ${sk}\n    IdentityFile ${plain}\n`);
  const settings = resolveSshSettings("h", { configFile: config });
  const error = (await collectAuthCandidates(settings, { agentSocket: null }).catch((e) => e)) as SshError;
  expect(error.kind).toBe("config");
  expect(error.message).toBe(`the identity file ${sk} is a FIDO security key (sk-ssh-ed25519@openssh.com), which the built-in SSH client (ssh2) cannot use`);
  expect(error.context.hint).toContain('ssh_client = "openssh"');
  expect(error.context.host).toBe("h");
});

test("a FIDO key in a default location is skipped with a note (OpenSSH would only try it)", async () => {
  const home = mkdtempSync(join(dir, "home-"));
  spawnSync("mkdir", ["-p", join(home, ".ssh")]);
  const sk = join(home, ".ssh", "id_ed25519_sk");
  writeFileSync(sk, await Bun.file(skKeyFile("default_sk")).text(), { mode: 0o600 });
  spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(home, ".ssh", "id_ed25519")]);
  const settings = resolveSshSettings("h", { configFile: join(dir, "none"), home });
  const notes: string[] = [];
  const candidates = await collectAuthCandidates(settings, { agentSocket: null, log: (l) => notes.push(l) });
  expect(candidates.map((c) => c.label)).toEqual([join(home, ".ssh", "id_ed25519")]);
  expect(notes).toContain(`identity file ${sk} is a FIDO security key (sk-ssh-ed25519@openssh.com), which ssh2 cannot use: skipped (ssh_client = "openssh" can)`);
});
