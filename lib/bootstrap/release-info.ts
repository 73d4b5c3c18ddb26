/**
 * What this batou was released as. These are the defaults of a source
 * checkout; `bun run release` replaces this module in the bundle (batou.js)
 * with the released values, including the launcher template and the editor
 * types, so that `batou init` needs no network.
 */
import { VERSION } from "../version.ts";
import { DEFAULT_RELEASE_URL, TRUSTED_RELEASE_KEYS } from "./trusted-keys.ts";

export interface ReleaseInfo {
  /** True in a released bundle, false in a source checkout. */
  released: boolean;
  version: string;
  /** The release URL baked in at release time. */
  url: string;
  /** The keys launchers made by this batou trust. */
  publicKeys: string[];
  /** The launcher template (lib/bootstrap/launcher.ts), pin still empty. */
  launcher?: string;
  /** The editor types for "batou" (batou.d.ts). */
  types?: string;
}

export const RELEASE: ReleaseInfo = {
  released: false,
  version: VERSION,
  url: DEFAULT_RELEASE_URL,
  publicKeys: TRUSTED_RELEASE_KEYS,
};
