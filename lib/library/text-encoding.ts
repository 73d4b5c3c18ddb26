/**
 * The text encodings of the file family: UTF-8 (the default), Latin-1
 * (ISO-8859-1, exactly: one byte per code point up to U+00FF) and ASCII.
 * Written out here because WHATWG's TextDecoder reads "latin1" as Windows-1252.
 *
 * @module
 */

export type TextEncodingName = "utf-8" | "latin-1" | "ascii";

const NAMES: Record<string, TextEncodingName> = {
  "utf-8": "utf-8",
  utf8: "utf-8",
  "latin-1": "latin-1",
  latin1: "latin-1",
  "iso-8859-1": "latin-1",
  iso88591: "latin-1",
  ascii: "ascii",
  "us-ascii": "ascii",
};

/** The encodings' names as the user may write them, for messages. */
export const ENCODING_NAMES = "utf-8, latin-1 (iso-8859-1), ascii";

/** The canonical name of `name`, or undefined when it is not supported. */
export function encodingNamed(name: unknown): TextEncodingName | undefined {
  return typeof name === "string" ? NAMES[name.toLowerCase()] : undefined;
}

/** The highest code point a one-byte encoding can hold. */
const LIMIT = { "latin-1": 0xff, ascii: 0x7f } as const;

/** A character the encoding cannot represent: where it is (line, column) and what it is. */
export interface Unrepresentable {
  line: number;
  column: number;
  character: string;
}

/** `text` in `encoding`, or the first character it cannot represent. */
export function encodeText(text: string, encoding: TextEncodingName): Uint8Array | Unrepresentable {
  if (encoding === "utf-8") return new TextEncoder().encode(text);
  const limit = LIMIT[encoding];
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > limit) {
      const before = text.slice(0, i).split("\n");
      const character = String.fromCodePoint(text.codePointAt(i)!);
      return { line: before.length, column: before.at(-1)!.length + 1, character };
    }
    bytes[i] = code;
  }
  return bytes;
}

/** `bytes` as text in `encoding`, or undefined when they are not valid text in it. */
export function decodeText(bytes: Uint8Array, encoding: TextEncodingName): string | undefined {
  if (encoding === "utf-8") {
    try {
      return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      return undefined;
    }
  }
  const limit = LIMIT[encoding];
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    const chunk = bytes.subarray(i, i + 8192);
    if (chunk.some((byte) => byte > limit)) return undefined;
    text += String.fromCharCode(...chunk);
  }
  return text;
}

/** "U+00E4 'ä'", for messages. */
export function describeCharacter(character: string): string {
  return `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")} ${JSON.stringify(character)}`;
}
