/**
 * Opens batou's GnuPG files with the user's `gpg` (or `gpg2`, as batou looks for
 * them), its keyring and agent; the cleartext comes back on a pipe, never in a file.
 */
import { spawnSync } from "node:child_process";

let found: string | null | undefined;

/** The gpg binary, or null when there is none. */
export function gpgBinary(): string | null {
  if (found !== undefined) return found;
  for (const candidate of ["gpg", "gpg2"]) {
    const run = spawnSync(candidate, ["--version"], { stdio: "ignore", timeout: 10_000 });
    if (run.status === 0) return (found = candidate);
  }
  return (found = null);
}

/** Decrypts `file`; throws with gpg's message when it cannot. */
export function decryptGpg(file: string, env: Record<string, string | undefined> = process.env): Uint8Array {
  const gpg = gpgBinary();
  if (!gpg) throw new Error("gpg is not installed (batou's GnuPG secrets need it: install gnupg)");
  // stdin stays the terminal: gpg's pinentry may ask for the key's passphrase.
  const run = spawnSync(gpg, ["--quiet", "--decrypt", file], { env, stdio: ["inherit", "pipe", "pipe"], timeout: 300_000, maxBuffer: 1 << 30 });
  if (run.error) throw new Error(`gpg: ${run.error.message}`);
  if (run.status !== 0) throw new Error(`gpg cannot decrypt it: ${run.stderr.toString().trim().split("\n").slice(-2).join(" ")}`);
  return new Uint8Array(run.stdout);
}

/** The key ids a gpg file is encrypted to (for the report), from `gpg --list-packets`. */
export function gpgRecipients(file: string, env: Record<string, string | undefined> = process.env): string[] {
  const gpg = gpgBinary();
  if (!gpg) return [];
  const run = spawnSync(gpg, ["--list-packets", "--list-only", file], { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
  const ids = new Set<string>();
  for (const line of `${run.stdout}\n${run.stderr}`.split("\n")) {
    const m = /keyid ([0-9A-F]{16})/i.exec(line);
    if (m) ids.add(m[1].toUpperCase());
  }
  return [...ids];
}
