/**
 * Where secrets live in a project:
 *
 * ```
 * environments/<env>/environment.toml   (an environment with a folder can have secrets)
 * environments/<env>/recipients         public keys that may read them
 * environments/<env>/secrets.toml.nacl  sealed overrides and host data
 * environments/<env>/secret-<name>.nacl sealed files → environment.secretFiles[name]
 * environments/<env>.toml               (a single-file environment: no secrets)
 * ```
 */
import { existsSync, readdirSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { environmentNames } from "../engine/environment-file.ts";
import type { Binding } from "./provenance.ts";
import { SecretsError } from "./secrets-error.ts";

/** File name of the sealed overrides. */
export const SECRETS_TOML = "secrets.toml.nacl";
/** Allowed secret-file names (`secret-<name>.nacl`). */
export const SECRET_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/** One sealed file of an environment. */
export interface SealedPath {
  /** `null` for secrets.toml.nacl, else the secret file's name. */
  name: string | null;
  /** Absolute path. */
  path: string;
  /** Path relative to the project root, for messages. */
  display: string;
  /** The environment and file name a sealed file here must have been sealed for. */
  binding: Binding;
}

/**
 * The environment's folder, or `null` for a single-file environment (which has no secrets).
 * Unknown environments are an error listing the known ones.
 */
export function environmentDir(projectRoot: string, env: string): string | null {
  const known = environmentNames(projectRoot);
  if (!known.includes(env)) {
    throw new SecretsError(`unknown environment ${JSON.stringify(env)}; known: ${known.join(", ") || "(none)"}`);
  }
  const dir = join(projectRoot, "environments", env);
  return existsSync(join(dir, "environment.toml")) ? dir : null;
}

/**
 * Resolves a `--environments a,b` list (empty: all) against the project; unknown names
 * are one error naming them and the known ones.
 */
export function selectEnvironments(projectRoot: string, list?: string): string[] {
  const known = environmentNames(projectRoot);
  const wanted = (list ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  if (wanted.length === 0) return known;
  const unknown = wanted.filter((w) => !known.includes(w));
  if (unknown.length) {
    throw new SecretsError(`unknown environment(s): ${unknown.join(", ")}; known: ${known.join(", ") || "(none)"}`);
  }
  return [...new Set(wanted)];
}

/** The sealed file for `name` (`null`: secrets.toml.nacl) in `envDir`, validating the name. */
export function sealedPath(projectRoot: string, envDir: string, name: string | null): SealedPath {
  if (name !== null && !SECRET_NAME.test(name)) {
    throw new SecretsError(
      `invalid secret file name ${JSON.stringify(name)}: expected letters, digits, ".", "_" and "-" (no "/")`,
    );
  }
  const file = name === null ? SECRETS_TOML : `secret-${name}.nacl`;
  const path = join(envDir, file);
  return { name, path, display: relative(projectRoot, path), binding: { environment: basename(envDir), file } };
}

/** Every sealed file of an environment folder: secrets.toml.nacl first, then secret files by name. */
export function sealedPaths(projectRoot: string, envDir: string): SealedPath[] {
  const out: SealedPath[] = [];
  if (existsSync(join(envDir, SECRETS_TOML))) out.push(sealedPath(projectRoot, envDir, null));
  for (const entry of readdirSync(envDir).sort()) {
    const m = /^secret-(.+)\.nacl$/.exec(entry);
    if (m && SECRET_NAME.test(m[1])) out.push(sealedPath(projectRoot, envDir, m[1]));
  }
  return out;
}

/** The recipients file of an environment folder. */
export function recipientsPath(envDir: string): string {
  return join(envDir, "recipients");
}
