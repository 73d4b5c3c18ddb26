/**
 * The pointer to the newest release, `RELEASE_URL/latest` (the version as text), and its
 * signature `RELEASE_URL/latest.sig` (base64 Ed25519, by a release key, of
 * `"batou release latest\0"` followed by the bytes of `latest`; the prefix keeps it from
 * being any other signed file). `batou update` without a version trusts `latest` only
 * when it verifies, and never moves the pin backwards on its word: a release server
 * that replays an old, validly signed `latest` cannot downgrade a project.
 */
import { download, ReleaseError, signedBy } from "./launcher.ts";
import { compareVersions } from "./versions.ts";

const DOMAIN = new TextEncoder().encode("batou release latest\0");

/** The bytes `latest.sig` signs, for the content of `latest`. */
export function latestSignedData(latest: Uint8Array): Uint8Array {
  return new Uint8Array([...DOMAIN, ...latest]);
}

/** Fetches `url/latest` and `url/latest.sig`; returns the version when one of `keys` signed it. */
export async function fetchLatest(url: string, keys: string[]): Promise<string> {
  const where = `${url}/latest`;
  const latest = await download(where, 60_000);
  const signature = new TextDecoder().decode(await download(`${where}.sig`, 60_000));
  if (!signedBy(latestSignedData(latest), signature, keys)) {
    throw new ReleaseError(`${where}: signature invalid (latest.sig is not a signature of latest by a trusted key)`);
  }
  const version = new TextDecoder().decode(latest).trim();
  if (!/^[0-9][0-9A-Za-z.+-]*$/.test(version)) throw new ReleaseError(`${where}: not a version: ${JSON.stringify(version)}`);
  return version;
}

/**
 * The version `batou update` moves to: `named` (from the command line, also an older
 * one), else `latest`, which must not be older than `pinned`.
 */
export function updateTarget(pinned: string, named: string | undefined, latest: string | undefined, where = "latest"): string {
  if (named !== undefined) return named;
  if (latest === undefined) throw new ReleaseError("no version named and no latest release known");
  if (compareVersions(latest, pinned) < 0) {
    throw new ReleaseError(
      `${where} names batou ${latest}, older than the pinned ${pinned}: the pin does not move backwards ` +
        `unless you name the version (batou update ${latest})`,
    );
  }
  return latest;
}
