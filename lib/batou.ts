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
export { File, type FileOptions, type FileKind } from "./library/file.ts";
export { Content, type ContentOptions } from "./library/content.ts";
export { Presence } from "./library/presence.ts";
export { Directory, type DirectoryOptions } from "./library/directory.ts";
export { Symlink } from "./library/symlink.ts";
export { Mode, Owner, Group } from "./library/attributes.ts";
export { Purge } from "./library/purge.ts";
export { JSONContent, YAMLContent, type StructuredContentOptions, type JSONContentOptions } from "./library/structured-content.ts";
export { Download, type DownloadOptions } from "./library/download.ts";
export { Extract, type ExtractOptions } from "./library/extract.ts";
export { GitClone, type GitCloneOptions } from "./library/git.ts";
export { CronJob, CronTab, InstallCrontab, type CronJobOptions, type CronTabOptions } from "./library/cron.ts";
export { Service, type ServiceOptions, type ServiceManager } from "./library/service.ts";
export { Command, type CommandStepOptions } from "./library/command.ts";
export { Supervisor, Program, type SupervisorOptions, type ProgramOptions } from "./library/supervisor.ts";
export { Htpasswd, type HtpasswdOptions } from "./library/htpasswd.ts";
export { Certificate, type CertificateOptions } from "./library/certificate.ts";
export { HTTPCheck, type HTTPCheckOptions } from "./library/http-check.ts";
export { Logrotate, RotatedLogfile, LOGROTATE_DEFAULTS, type LogrotateOptions, type RotatedLogfileOptions } from "./library/logrotate.ts";
export { Mercurial, type MercurialOptions } from "./library/mercurial.ts";
export { AuthorizedKeys, type AuthorizedKeysOptions } from "./library/authorized-keys.ts";
export { KnownHost, type KnownHostOptions } from "./library/known-host.ts";
export { KeyPair, type KeyPairOptions } from "./library/key-pair.ts";
export { Build, type BuildOptions } from "./library/build.ts";
export { NodeApp, type NodeAppOptions } from "./library/node-app.ts";
export { VirtualEnv, type VirtualEnvOptions } from "./library/virtualenv.ts";
export { Requirements, Package, type PackageOptions } from "./library/python-requirements.ts";
export { PostgresUser, type PostgresUserOptions } from "./library/postgres-user.ts";
export { PostgresDatabase, type PostgresDatabaseOptions } from "./library/postgres-database.ts";
export { PostgresExtension, type PostgresExtensionOptions } from "./library/postgres-extension.ts";
