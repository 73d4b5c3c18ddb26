/**
 * Checks the cleartext of `secrets.toml` against the project's model when `batou
 * secrets edit` saves it, so a typo shows up while the editor is still at hand and not at
 * the next deployment: every `[components.NAME]` must be a component of the project,
 * every key one of its attributes (of a fitting type), every `[hosts.NAME.data]` a host
 * of the environment. The messages list the known names and never show a value.
 */
import { constructed } from "../engine/component.ts";
import { declaredAttributes, isAttribute, overrideProblem } from "../engine/arguments.ts";
import { readEnvironmentFile } from "../engine/environment-file.ts";
import { loadComponents } from "../engine/loader.ts";
import type { SecretsDocument } from "./cleartext.ts";

const list = (names: string[]) => (names.length ? names.sort().join(", ") : "(none)");

/** What does not fit the model, one line each; empty when everything fits. */
export async function modelProblems(projectRoot: string, env: string, doc: SecretsDocument): Promise<string[]> {
  const problems: string[] = [];
  if (Object.keys(doc.components).length) {
    const loaded = await loadComponents(projectRoot);
    if (loaded.errors.length) {
      problems.push(`cannot check the component overrides: ${loaded.errors[0]!.message}`);
    } else {
      for (const [name, overrides] of Object.entries(doc.components)) {
        const definition = loaded.definitions.get(name.toLowerCase());
        if (!definition) {
          problems.push(`[components.${name}]: the project has no component "${name}"; known: ${list([...loaded.definitions.keys()])}`);
          continue;
        }
        const instance = new definition.factory();
        constructed.delete(instance); // only looked at, never added to a deployment
        for (const [key, value] of Object.entries(overrides)) {
          if (!isAttribute(instance, key)) {
            problems.push(`components.${name}.${key}: ${definition.factory.name} has no attribute "${key}"; known: ${list(declaredAttributes(instance))}`);
            continue;
          }
          const problem = overrideProblem(instance, key, value);
          if (problem) problems.push(`components.${name}.${key}: the value does not fit: ${problem}`);
        }
      }
    }
  }
  if (Object.keys(doc.hosts).length) {
    let hosts: string[] | undefined;
    try {
      hosts = readEnvironmentFile(projectRoot, env).hosts.map((host) => host.name);
    } catch (error) {
      problems.push(`cannot check the host data: ${(error as Error).message}`);
    }
    for (const host of hosts ? Object.keys(doc.hosts) : []) {
      if (!hosts!.includes(host)) problems.push(`[hosts.${host}.data]: environment ${env} has no host "${host}"; known: ${list(hosts!)}`);
    }
  }
  return problems;
}
