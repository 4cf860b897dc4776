// The shape check every store makes on a listing cursor before it lists. Both stores hand out
// the id of a page's last job as the cursor, so a cursor must look like a job id; whether a
// cursor of another shape names a stored job (a caller's own id) is the store's to look up.
import { InvalidCursorError } from "./errors.js";
import { JOB_BOUNDS, SCHEDULE_BOUNDS } from "./job-rules.js";

// The ids newJobId makes (core/ids.ts): "job_", then 26 characters of Crockford base32.
const GENERATED_JOB_ID = /^job_[0-9A-HJKMNP-TV-Z]{26}$/;
// No job id holds control characters (the Redis store's encodings use NUL as a separator).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** How a well-formed cursor looks: an id newJobId made, or another id that only a stored job can vouch for. */
export type CursorShape = "generated" | "other";

/** The shape of a listing cursor; INVALID_CURSOR when no job id could be it (empty, too long, control characters). */
export function listingCursorShape(cursor: string): CursorShape {
  if (GENERATED_JOB_ID.test(cursor)) return "generated";
  if (cursor.length === 0) throw new InvalidCursorError("it is empty");
  if (cursor.length > JOB_BOUNDS.maxKeyLength) throw new InvalidCursorError(`it is longer than ${JOB_BOUNDS.maxKeyLength} characters`);
  if (CONTROL_CHARACTER.test(cursor)) throw new InvalidCursorError("it holds control characters");
  return "other";
}

const SCHEDULE_ID = new RegExp(SCHEDULE_BOUNDS.idPattern);

/** Checks a schedule listing's cursor (the last id of the previous page): INVALID_CURSOR when no schedule id could be it. */
export function checkScheduleCursor(cursor: string): void {
  if (!SCHEDULE_ID.test(cursor)) throw new InvalidCursorError("it is not a schedule id");
}
