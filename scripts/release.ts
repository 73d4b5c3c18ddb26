/**
 * `bun run release`: writes a signed release of batou into dist/release/
 * (servable as is; see docs/bootstrap.md).
 *
 *   BATOU_RELEASE_KEY=<base64 secret key> (or BATOU_RELEASE_KEY_FILE=path)
 *   BATOU_RELEASE_URL=https://where.it/is/served   (baked into bootstrap and launcher)
 *   BATOU_RELEASE_VERSION=1.2.3                    (default: package.json's version)
 *
 *   bun run release [--out DIR] [--compile] [--target bun-linux-arm64 ...] [--force]
 *   bun run release --generate-key    prints a new key pair
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildRelease } from "../lib/bootstrap/release.ts";
import { generateSigningKey, loadSigningKey } from "../lib/bootstrap/sign.ts";
import { DEFAULT_RELEASE_URL } from "../lib/bootstrap/trusted-keys.ts";
import { VERSION } from "../lib/version.ts";

const DEFAULT_TARGETS = ["bun-linux-x64", "bun-linux-arm64"];
const repo = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

const { values } = parseArgs({
  options: {
    out: { type: "string", default: join(repo, "dist", "release") },
    compile: { type: "boolean", default: false },
    target: { type: "string", multiple: true },
    force: { type: "boolean", default: false },
    "generate-key": { type: "boolean", default: false },
  },
});

if (values["generate-key"]) {
  const { secret, publicKey } = generateSigningKey();
  console.log(`secret key (BATOU_RELEASE_KEY; keep it out of the repository):\n${secret}\n`);
  console.log(`public key (add to TRUSTED_RELEASE_KEYS in lib/bootstrap/trusted-keys.ts):\n${publicKey}`);
  process.exit(0);
}

try {
  const url = process.env.BATOU_RELEASE_URL || DEFAULT_RELEASE_URL;
  if (!process.env.BATOU_RELEASE_URL) console.log(`warning: BATOU_RELEASE_URL is not set; using ${url}`);
  await buildRelease({
    repo,
    out: values.out!,
    version: process.env.BATOU_RELEASE_VERSION || VERSION,
    url: url.replace(/\/+$/, ""),
    key: loadSigningKey(),
    compileTargets: values.target ?? (values.compile ? DEFAULT_TARGETS : []),
    force: values.force,
  });
} catch (error) {
  console.error(`release: ${(error as Error).message}`);
  process.exit(1);
}
