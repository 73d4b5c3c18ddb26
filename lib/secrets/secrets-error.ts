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

/**
 * A sealed file that is intact but not acceptable here: unsigned (format v1), signed by
 * someone who is not a recipient, or sealed for another environment or file name.
 */
export class UntrustedError extends SecretsError {
  override name = "UntrustedError";
}
