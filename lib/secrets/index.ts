/**
 * The secrets engine: sealed files (format.ts), recipients and identities, the store
 * (loadSecrets) and management (edit, add/remove/reencrypt). See docs/secrets-format.md.
 */
export { editSecrets, type EditOptions, type EditOutcome } from "./edit.ts";
export { NotARecipientError, SecretsError, TamperedError } from "./secrets-error.ts";
export { openSealed, parseSealed, rewrap, seal } from "./format.ts";
export { identityFromSecretKey, loadIdentities, loadIdentity, writeNativeKey } from "./identities.ts";
export { addRecipient, reencrypt, removeRecipient } from "./manage.ts";
export { environmentNames, findProjectRoot } from "./paths.ts";
export { parsePublicKey, parseRecipients, readRecipients } from "./recipients.ts";
export { type IdentitySource, loadSecrets, type Secrets } from "./store.ts";
export type { Identity, Recipient } from "./types.ts";
