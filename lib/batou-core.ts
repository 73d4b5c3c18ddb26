/**
 * The public component API without the component library: what the library
 * components (and user components) build on. `batou.ts` adds the library.
 */
export { Component, type RequireOptions, type EventScope } from "./engine/component.ts";
export { attribute, type AttributeOptions, type Conversion, type ConversionName } from "./engine/attribute.ts";
export { Address, NetLoc, type AddressOptions } from "./engine/address.ts";
export { UpdateNeeded, BatouError, ConfigurationError, DeploymentError, CommandError } from "./engine/errors.ts";
export type { Host } from "./engine/host.ts";
export type { EnvironmentInfo } from "./engine/root.ts";
export type { CommandOptions, CommandResult } from "./engine/cmd.ts";
export { AtomicFile, writeFileAtomic, replaceAtomic, type AtomicWriteOptions } from "./engine/atomic-file.ts";
