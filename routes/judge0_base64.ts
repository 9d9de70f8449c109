/**
 * Base64 as Judge0 clients send and read it: with `base64_encoded=true`,
 * text fields come in and go out as base64 of their UTF-8 bytes;
 * `additional_files` is base64 always.
 */

const fatal = new TextDecoder("utf-8", { fatal: true });

/**
 * The bytes `value` encodes, or undefined when it is not base64. Line
 * breaks and other ASCII whitespace are skipped and padding may be left
 * out, as Judge0's own decoder allows (encoders such as Ruby's `encode64`
 * wrap lines); any other character outside the alphabet is refused.
 */
export function decodeBase64(value: string): Uint8Array | undefined {
  try {
    return Uint8Array.fromBase64(value);
  } catch {
    return undefined;
  }
}

/** The UTF-8 text `value` encodes; why not, when it is not base64 of UTF-8 text. */
export function decodeBase64Text(value: string): { text: string } | { problem: string } {
  const bytes = decodeBase64(value);
  if (!bytes) return { problem: "Must be base64 (base64_encoded=true)" };
  try {
    return { text: fatal.decode(bytes) };
  } catch {
    return { problem: "Must be base64 of UTF-8 text" };
  }
}

/** `text` as base64 of its UTF-8 bytes, on one line. */
export function encodeBase64Text(text: string): string {
  return new TextEncoder().encode(text).toBase64();
}
