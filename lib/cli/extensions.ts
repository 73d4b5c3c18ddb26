/**
 * What the deploy engine gets from the other engine parts: decrypting
 * secrets and connecting to remote hosts. Kept in one place so the engine's
 * core does not import them.
 */
import type { DeploymentOptions } from "../engine/deployment.ts";
import type { SecretsData } from "../engine/environment.ts";
import { sshConnections } from "../remote/connect.ts";
import { loadSecrets } from "../secrets/store.ts";

/** Decrypts the environment's secrets into the shape the environment loader merges. */
async function secretsForDeployment(projectRoot: string, environment: string): Promise<SecretsData | undefined> {
  const secrets = await loadSecrets(projectRoot, environment);
  const empty =
    Object.keys(secrets.components).length === 0 && Object.keys(secrets.hosts).length === 0 && Object.keys(secrets.files).length === 0;
  if (empty && secrets.warnings.length === 0) return undefined;
  return {
    file: `environments/${environment}/secrets.toml.nacl`,
    components: secrets.components,
    hosts: secrets.hosts,
    files: secrets.files,
    values: secrets.values,
    warnings: secrets.warnings,
  };
}

export const deployExtensions: Pick<DeploymentOptions, "loadSecrets" | "remote"> = {
  loadSecrets: secretsForDeployment,
  remote: sshConnections,
};
