/**
 * Errors of the secrets engine. Every message names the file (and line, where there
 * is one) and what was expected, so the CLI can print it without a stack trace.
 */

import { BatouError } from "../engine/errors.ts";

/** Base class: any problem with secrets, keys, recipients or the sealed format. */
export class SecretsError extends BatouError {
  override name = "SecretsError";
}

/** A sealed file that was modified after it was written, or is otherwise damaged. */
export class TamperedError extends SecretsError {
  override name = "TamperedError";
}

/** None of the user's identities is a recipient of a sealed file. */
export class NotARecipientError extends SecretsError {
  override name = "NotARecipientError";
}
