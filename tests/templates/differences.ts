/**
 * Cases where ours deliberately renders differently from batou's Jinja2, by
 * case id, with the reason (docs/porting-from-batou.md lists them for users).
 */
export const differences: Record<string, string> = {};
