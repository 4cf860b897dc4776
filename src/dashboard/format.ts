// Formats times, durations, counts and JSON for display; pure functions over plain values.

/** "3 s", "4 min", "2 h", "5 d" for a duration in seconds. */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "–";
  const s = Math.max(0, seconds);
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.round((s % 86400) / 3600)} h`;
}

/** Age of an ISO time relative to now, e.g. "12 s ago". */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (iso === null || iso === undefined) return "–";
  return `${duration((now - Date.parse(iso)) / 1000)} ago`;
}

/** "in 4 min" for a time to come, "12 s ago" for one past. */
export function relative(iso: string | null | undefined, now = Date.now()): string {
  if (iso === null || iso === undefined) return "–";
  const seconds = (Date.parse(iso) - now) / 1000;
  return seconds > 0 ? `in ${duration(seconds)}` : `${duration(-seconds)} ago`;
}

/** A compact local date and time with seconds, e.g. "2024-05-01 14:03:22". */
export function dateTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return "–";
  const d = new Date(iso);
  const pad = (n: number): string => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Seconds between two ISO times, or null when either is missing. */
export function between(from: string | null | undefined, to: string | null | undefined): number | null {
  if (from === null || from === undefined || to === null || to === undefined) return null;
  return (Date.parse(to) - Date.parse(from)) / 1000;
}

/** Pretty JSON for a <pre>; undefined shows as a dash. */
export function json(value: unknown): string {
  if (value === undefined) return "–";
  return JSON.stringify(value, null, 2);
}

/** A percentage with one decimal, or a dash without a base. */
export function percent(part: number, whole: number): string {
  return whole === 0 ? "–" : `${((part / whole) * 100).toFixed(1)} %`;
}

/** Thousands separators. */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}
