/**
 * Reading and writing the pin in a project's launcher (`batou.ts`): the
 * `const VERSION/RELEASE_URL/PUBLIC_KEYS` lines and `LAUNCHER_REVISION`.
 */
export interface Pin {
  version: string;
  url: string;
  keys: string[];
  revision: number;
}

const LINES = {
  version: /^const VERSION(?:: string)? = (.*);$/m,
  url: /^const RELEASE_URL(?:: string)? = (.*);$/m,
  keys: /^const PUBLIC_KEYS(?:: string\[\])? = (.*);$/m,
  revision: /^export const LAUNCHER_REVISION = (\d+);$/m,
};

/** Whether `text` is a batou launcher (has the pin lines). */
export function isLauncher(text: string): boolean {
  return Object.values(LINES).every((re) => re.test(text));
}

/** The pin of a launcher; throws when `text` is not one. */
export function readPin(text: string): Pin {
  const value = (re: RegExp) => {
    const m = re.exec(text);
    if (!m) throw new Error(`not a batou launcher (no line matching ${re.source})`);
    return JSON.parse(m[1]!);
  };
  return { version: value(LINES.version), url: value(LINES.url), keys: value(LINES.keys), revision: value(LINES.revision) };
}

/** `text` with its pin lines set to `pin` (the revision is the code's own and stays). */
export function writePin(text: string, pin: Partial<Omit<Pin, "revision">>): string {
  if (!isLauncher(text)) throw new Error("not a batou launcher");
  let out = text;
  if (pin.version !== undefined) out = out.replace(LINES.version, () => `const VERSION: string = ${JSON.stringify(pin.version)};`);
  if (pin.url !== undefined) out = out.replace(LINES.url, () => `const RELEASE_URL: string = ${JSON.stringify(pin.url)};`);
  if (pin.keys !== undefined) out = out.replace(LINES.keys, () => `const PUBLIC_KEYS: string[] = ${JSON.stringify(pin.keys).replace(/","/g, '", "')};`);
  return out;
}
