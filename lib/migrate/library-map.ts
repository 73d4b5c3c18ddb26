/**
 * batou's library classes and their counterparts here: the class, how the
 * keyword arguments are named, and which have no counterpart (then the call is
 * left to the user, marked TODO). A counterpart is used only when the running
 * batou exports it, so components that land later are picked up by adding a row.
 */

/** How one keyword argument carries over: a new name, or `null` when it is dropped on purpose. */
export type OptionRule = string | { name: string; convert: "list-from-commas" } | null;

export interface Counterpart {
  /** The class exported by "batou". */
  name: string;
  /** batou keyword → ours; a keyword not listed has no counterpart. */
  options: Record<string, OptionRule>;
  /** Options this tool requires that batou had defaults for: the call is left to the user without them. */
  requires?: string[];
  /** A difference the report names when the class is used. */
  note?: string;
  /** An option written (TypeScript text) when the call has `when` (our name), to keep batou's behaviour. */
  implied?: { when: string; text: string };
}

/** batou's Directory and SyncDirectory copied from `source` without deleting what else is in the directory. */
const KEEP_EXTRANEOUS = { when: "source", text: "deleteExtraneous: false" };

const FILE_OPTIONS: Record<string, OptionRule> = {
  content: "content",
  source: "source",
  is_template: "template",
  template_args: "templateArgs",
  mode: "mode",
  owner: "owner",
  group: "group",
  leading: "leadingDirs",
  sensitive_data: "sensitive",
  ensure: "ensure",
  link_to: "linkTo",
  encoding: "encoding",
};

/** By batou's qualified name (`batou.lib.file.File`). */
export const LIBRARY: Record<string, Counterpart> = {
  "batou.component.Component": { name: "Component", options: {} },
  "batou.utils.Address": { name: "Address", options: {} },
  "batou.utils.NetLoc": { name: "NetLoc", options: {} },
  "batou.lib.file.File": { name: "File", options: FILE_OPTIONS },
  "batou.lib.file.Directory": {
    name: "Directory",
    options: { leading: "leadingDirs", source: "source", exclude: "exclude", mode: "mode" },
    implied: KEEP_EXTRANEOUS,
  },
  "batou.lib.file.Presence": { name: "Presence", options: { leading: "leadingDirs" } },
  "batou.lib.file.SyncDirectory": {
    name: "Directory",
    options: { source: "source", exclude: "exclude" },
    implied: KEEP_EXTRANEOUS,
  },
  "batou.lib.file.Symlink": { name: "Symlink", options: { source: "target" } },
  "batou.lib.file.Mode": { name: "Mode", options: { mode: "mode" } },
  "batou.lib.file.Owner": { name: "Owner", options: { owner: "owner" } },
  "batou.lib.file.Group": { name: "Group", options: { group: "group" } },
  "batou.lib.file.Purge": { name: "Purge", options: {} },
  "batou.lib.file.JSONContent": {
    name: "JSONContent",
    options: { data: "data", source: "source", override: "override", sensitive_data: "sensitive" },
  },
  "batou.lib.file.YAMLContent": {
    name: "YAMLContent",
    options: { data: "data", source: "source", override: "override", sensitive_data: "sensitive" },
  },
  "batou.lib.download.Download": {
    name: "Download",
    options: { target: "target", checksum: "checksum" },
    note: "Download checks sha256 checksums only (batou also took md5)",
  },
  "batou.lib.archive.Extract": { name: "Extract", options: { target: "target", strip: "stripComponents" } },
  "batou.lib.archive.Untar": { name: "Extract", options: { target: "target", strip: "stripComponents" } },
  "batou.lib.archive.Unzip": { name: "Extract", options: { target: "target", strip: "stripComponents" } },
  "batou.lib.git.Clone": {
    name: "GitClone",
    options: { target: "target", branch: "branch", revision: "revision" },
    requires: ["target"],
  },
  "batou.lib.mercurial.Clone": {
    name: "Mercurial",
    options: { target: "target", branch: "branch", revision: "revision" },
    requires: ["target"],
  },
  "batou.lib.cron.CronJob": { name: "CronJob", options: { timing: "timing", args: "args", logger: "logger" } },
  "batou.lib.cron.CronTab": { name: "CronTab", options: { mailto: "mailto" } },
  "batou.lib.supervisor.Supervisor": {
    name: "Supervisor",
    options: { enable: "enable", loglevel: "loglevel", pidfile: "pidfile", socketpath: "socketpath" },
  },
  "batou.lib.supervisor.Program": {
    name: "Program",
    options: {
      command: "command",
      args: "args",
      command_absolute: "commandAbsolute",
      directory: "directory",
      priority: "priority",
      options: "options",
      enable: "enable",
      deployment: "deployment",
      dependencies: "dependencies",
    },
  },
  "batou.lib.logrotate.RotatedLogfile": {
    name: "RotatedLogfile",
    options: { args: { name: "args", convert: "list-from-commas" } },
  },
  "batou.lib.logrotate.Logrotate": { name: "Logrotate", options: {} },
  "batou.lib.debian.Logrotate": { name: "Logrotate", options: {} },
  "batou.lib.cmmi.Build": {
    name: "Build",
    options: { checksum: "checksum", configure_args: "configure", prefix: "prefix", build_environment: "env" },
  },
  "batou.lib.python.VirtualEnv": { name: "VirtualEnv", options: {} },
};

/** Exceptions batou components raise, by qualified name, and what is thrown here. */
export const EXCEPTIONS: Record<string, string> = {
  "batou.UpdateNeeded": "UpdateNeeded",
  "batou.component.UpdateNeeded": "UpdateNeeded",
  "batou.ConfigurationError": "Error",
  "builtins.RuntimeError": "Error",
  "builtins.ValueError": "Error",
  "builtins.Exception": "Error",
  "builtins.AssertionError": "UpdateNeeded",
};

/**
 * Exceptions an `except` clause catches, by qualified name: the class caught
 * here (`instanceof`), or `"*"` for anything. Python's own errors of values
 * (ValueError, KeyError, OSError, ...) have no counterpart: JavaScript does not
 * throw them where Python does.
 */
export const CAUGHT: Record<string, string> = {
  "builtins.Exception": "*",
  "builtins.BaseException": "*",
  "batou.utils.CmdExecutionError": "CommandError",
  "batou.UpdateNeeded": "UpdateNeeded",
  "batou.component.UpdateNeeded": "UpdateNeeded",
  "batou.ConfigurationError": "ConfigurationError",
};

/** Attributes of batou's CmdExecutionError that are spelled differently on CommandError. */
export const COMMAND_ERROR_ATTRIBUTES: Record<string, string> = { returncode: "exitCode", cmd: "command" };
