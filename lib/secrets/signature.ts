/**
 * Signatures of sealed files: Ed25519 over OpenSSH's SSHSIG "signed data" structure
 * (PROTOCOL.sshsig), so a signature made with an SSH key is bound to the namespace
 * `batou-secrets` and can never pass for an SSH login or another tool's signature, and
 * `ssh-keygen -Y check-novalidate -n batou-secrets` can check it:
 *
 * ```
 * "SSHSIG" ‖ string(namespace) ‖ string("") ‖ string("sha512") ‖ string(SHA-512(message))
 * ```
 *
 * (`string` is SSH's uint32 length followed by the bytes.)
 */
import nacl from "tweetnacl";
import { concat, sha512, utf8 } from "./encoding.ts";

/** The SSHSIG namespace of batou's sealed files. */
export const SIGNATURE_NAMESPACE = "batou-secrets";

function sshString(bytes: Uint8Array): Uint8Array {
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, bytes.length);
  return concat(length, bytes);
}

/** The bytes an Ed25519 signature of `message` is made over. */
export function signedData(message: Uint8Array): Uint8Array {
  return concat(utf8("SSHSIG"), sshString(utf8(SIGNATURE_NAMESPACE)), sshString(new Uint8Array()), sshString(utf8("sha512")), sshString(sha512(message)));
}

/** Signs `message` with a 64-byte tweetnacl Ed25519 secret key; 64 bytes. */
export function signMessage(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return nacl.sign.detached(signedData(message), secretKey);
}

/** Whether `signature` is `publicKey`'s signature of `message`. */
export function verifyMessage(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  return signature.length === nacl.sign.signatureLength && nacl.sign.detached.verify(signedData(message), signature, publicKey);
}
