/**
 * Which keys to offer a host, in OpenSSH's order: first the ssh-agent's keys
 * (`SSH_AUTH_SOCK`), then the IdentityFile keys the agent does not hold.
 * With `IdentitiesOnly yes` the agent may only offer keys whose public half
 * matches a configured identity file.
 *
 * Passphrase-protected key files are decrypted up front (before the
 * connection's handshake timer runs): with a TTY on stdin the user is asked,
 * otherwise the key is skipped with a debug note.
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { type AnyAuthMethod, OpenSSHAgent, type ParsedKey, utils } from "ssh2";
import { openSshKeyHeader, readSshString } from "../../openssh-key.ts";
import { canPrompt, readLine } from "../../terminal.ts";
import { SSH2_HINT, type SshSettings } from "./config.ts";
import { SshError } from "./ssh-error.ts";

/** Asks for the passphrase of a key file; resolves null to skip the key. */
export type PassphrasePrompt = (question: string) => Promise<string | null>;

/** One authentication attempt, with a label for debug output and error messages. */
export interface AuthCandidate {
  label: string;
  method: AnyAuthMethod;
}

/** Options of {@link collectAuthCandidates}. */
export interface IdentityOptions {
  log?: (line: string) => void;
  /** Overrides the built-in terminal prompt (which is used only when stdin is a TTY). */
  passphrasePrompt?: PassphrasePrompt;
  /** The agent socket; default `SSH_AUTH_SOCK`; null disables the agent. */
  agentSocket?: string | null;
}

/** An agent that only offers a pre-selected list of its keys. */
class SelectedKeysAgent extends OpenSSHAgent {
  constructor(socket: string, private readonly keys: ParsedKey[]) {
    super(socket);
  }
  override getIdentities(cb: (err: Error | undefined, keys?: ParsedKey[]) => void): void {
    cb(undefined, this.keys);
  }
}

function agentKeys(socket: string, timeoutMs = 3000): Promise<ParsedKey[] | Error> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    new OpenSSHAgent(socket).getIdentities((err, keys) => {
      clearTimeout(timer);
      resolve(err ?? ((keys ?? []) as ParsedKey[]));
    });
  });
}

function publicBlobOf(file: string, pem: string): Buffer | null {
  if (existsSync(`${file}.pub`)) {
    const parsed = utils.parseKey(readFileSync(`${file}.pub`));
    if (!(parsed instanceof Error)) return parsed.getPublicSSH();
  }
  const blob = openSshKeyHeader(pem)?.publicBlob;
  return blob ? Buffer.from(blob) : null;
}

/** The key type of an OpenSSH private key file (from its unencrypted header), e.g. `sk-ssh-ed25519@openssh.com`. */
function keyTypeOf(pem: string): string | undefined {
  const blob = openSshKeyHeader(pem)?.publicBlob;
  const type = blob && readSshString(blob, 0);
  return type ? new TextDecoder().decode(type[0]) : undefined;
}

/**
 * Builds the ordered list of authentication attempts for `settings`. A
 * configured FIDO (`sk-`) key is an error naming it: ssh2 cannot use it, and
 * offering another identity instead would be a silent fallback.
 */
export async function collectAuthCandidates(settings: SshSettings, options: IdentityOptions = {}): Promise<AuthCandidate[]> {
  const log = options.log ?? (() => {});
  const username = settings.user;
  const files: { file: string; pem: string; key: ParsedKey | null; pub: Buffer | null }[] = [];
  for (const file of settings.identityFiles) {
    if (!existsSync(file)) {
      if (settings.identityFilesConfigured) log(`identity file ${file} does not exist, skipped`);
      continue;
    }
    let pem: string;
    try {
      pem = readFileSync(file, "utf8");
    } catch (error) {
      log(`identity file ${file} is not readable (${(error as Error).message}), skipped`);
      continue;
    }
    const type = keyTypeOf(pem);
    if (type?.startsWith("sk-")) {
      if (settings.identityFilesConfigured) {
        throw new SshError(settings.alias, "config", `the identity file ${file} is a FIDO security key (${type}), which the built-in SSH client (ssh2) cannot use`, {
          context: { file: settings.configFile ?? undefined, IdentityFile: file, hint: SSH2_HINT },
        });
      }
      log(`identity file ${file} is a FIDO security key (${type}), which ssh2 cannot use: skipped (ssh_client = "openssh" can)`);
      continue;
    }
    const parsed = utils.parseKey(pem);
    if (!(parsed instanceof Error)) files.push({ file, pem, key: parsed, pub: parsed.getPublicSSH() });
    else if (/encrypted|passphrase/i.test(parsed.message)) files.push({ file, pem, key: null, pub: publicBlobOf(file, pem) });
    else log(`identity file ${file} cannot be parsed (${parsed.message}), skipped`);
  }

  const candidates: AuthCandidate[] = [];
  const inAgent = new Set<string>();
  const socket = options.agentSocket === undefined ? process.env.SSH_AUTH_SOCK : options.agentSocket;
  if (socket && existsSync(socket)) {
    const keys = await agentKeys(socket);
    if (keys instanceof Error) {
      log(`ssh-agent at ${socket} not usable: ${keys.message}`);
    } else {
      const allowed = new Set(files.map((f) => f.pub?.toString("base64")).filter(Boolean));
      const offered = settings.identitiesOnly ? keys.filter((k) => allowed.has(k.getPublicSSH().toString("base64"))) : keys;
      for (const k of offered) inAgent.add(k.getPublicSSH().toString("base64"));
      log(`ssh-agent offers ${offered.length} of its ${keys.length} key(s)${settings.identitiesOnly ? " (IdentitiesOnly)" : ""}`);
      if (offered.length) {
        candidates.push({
          label: `ssh-agent (${offered.map((k) => k.comment || k.type).join(", ")})`,
          method: { type: "agent", username, agent: new SelectedKeysAgent(socket, offered) },
        });
      }
    }
  }

  for (const f of files) {
    if (f.pub && inAgent.has(f.pub.toString("base64"))) continue; // the agent offers it already
    let key = f.key;
    if (!key) {
      const prompt = options.passphrasePrompt ?? (canPrompt() ? (question: string) => readLine(question, true) : undefined);
      if (!prompt) {
        log(`identity file ${f.file} needs a passphrase and there is no terminal to ask: skipped`);
        continue;
      }
      const passphrase = await prompt(`Enter passphrase for key '${f.file}' (${settings.alias}): `);
      if (passphrase === null) continue;
      const parsed = utils.parseKey(f.pem, passphrase);
      if (parsed instanceof Error) {
        log(`identity file ${f.file}: wrong passphrase (${parsed.message}), skipped`);
        continue;
      }
      key = parsed;
    }
    candidates.push({ label: f.file, method: { type: "publickey", username, key } });
  }
  return candidates;
}
