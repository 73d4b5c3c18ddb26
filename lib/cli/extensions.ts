/**
 * What the deploy engine gets from the other engine parts: decrypting
 * secrets and connecting to remote hosts. Kept in one place so the engine's
 * core does not import them.
 */
import type { DeploymentOptions } from "../engine/deployment.ts";

export const deployExtensions: Pick<DeploymentOptions, "loadSecrets" | "connectRemote"> = {};
