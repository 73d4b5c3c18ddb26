/**
 * A URL as messages may show it: a password in it (`https://user:pw@host/`)
 * replaced by `*****`, everything else as written.
 *
 * @example
 * ```ts
 * hidePassword("https://ci:hunter2@hg.example.com/app"); // "https://ci:*****@hg.example.com/app"
 * ```
 */
export function hidePassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@]*):[^@/]*@/i, "$1:*****@");
}
