/**
 * Preloaded for every test file (bunfig.toml): a test that starts real processes (sshd hosts,
 * agents, Python Jinja2) may take more than Bun's default 5 s on a loaded machine; the same
 * limit as scripts/test.sh gives, also when a file is run alone with plain `bun test`.
 */
import { setDefaultTimeout } from "bun:test";

setDefaultTimeout(120_000);
