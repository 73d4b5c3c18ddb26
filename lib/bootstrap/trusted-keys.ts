/**
 * The project's release signing: the ed25519 public keys whose signatures
 * launchers trust, and the default release URL. `bun run release` embeds the
 * keys into the launcher it ships (see docs/bootstrap.md, "Keys").
 *
 * The secret keys never live in this repository: the release process reads
 * one from BATOU_RELEASE_KEY (base64) or BATOU_RELEASE_KEY_FILE.
 *
 * PLACEHOLDER: the key below is a throwaway whose secret half was discarded,
 * so nothing verifies against it until the maintainers put the real release
 * key(s) here. Add a new key before retiring an old one (rotation).
 */
export const TRUSTED_RELEASE_KEYS: string[] = ["ruLB4at+dqNOjO6pnwWIQtBoIxtsLkl1vOZsCGhStr8="];

/** Where released launchers fetch from unless the release says otherwise (BATOU_RELEASE_URL at release time). */
export const DEFAULT_RELEASE_URL = "https://releases.batou.invalid/batou-ts";
