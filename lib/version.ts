import pkg from "../package.json" with { type: "json" };

/** The version of this batou, as released and pinned by launchers. */
export const VERSION: string = pkg.version;

/** Version of the JSON-lines protocol between the deploying machine and its agents. */
export const PROTOCOL_VERSION = 4;
