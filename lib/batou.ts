/**
 * The `"batou"` module that user components import:
 *
 * ```ts
 * import { Component, File, Directory, UpdateNeeded } from "batou";
 * ```
 *
 * batou provides it itself (see `plugin.ts`), in `bun batou.ts` and in the
 * compiled executable alike, so a project needs no `node_modules`.
 */
export * from "./batou-core.ts";
export { File, Content, type FileOptions } from "./library/file.ts";
export { Directory, type DirectoryOptions } from "./library/directory.ts";
export { Symlink } from "./library/symlink.ts";
export { Mode, Owner, Group } from "./library/attributes.ts";
