// The rules every store applies to a dashboard session's revocation: a bounded id and a real
// expiry time, checked before anything is stored.
import { InvalidOptionsError } from "./errors.js";

/** Longest session id a store keeps a revocation for (the server's ids are 24 characters). */
export const MAX_SESSION_ID_LENGTH = 128;

/** Throws INVALID_OPTIONS for an empty or overlong session id, or an expiry that is not a time in ms. */
export function checkSessionRevocation(sessionId: string, expiresAt?: number): void {
  if (typeof sessionId !== "string" || sessionId.length === 0 || sessionId.length > MAX_SESSION_ID_LENGTH) {
    throw new InvalidOptionsError(`A session id must be 1 to ${MAX_SESSION_ID_LENGTH} characters`);
  }
  if (expiresAt !== undefined && !(Number.isSafeInteger(expiresAt) && expiresAt >= 0)) {
    throw new InvalidOptionsError("A session revocation's expiry must be a time in ms since the epoch");
  }
}
