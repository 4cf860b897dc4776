// The trusted-proxy setting: which peers' X-Forwarded-For and X-Forwarded-Proto a server
// believes. Parsed here once, so that a typo stops the process instead of trusting nothing
// (or everyone) in silence.
import { isIP } from "node:net";

/** Off (false), any peer (true), or the proxies' addresses, CIDR ranges and range names. */
export type TrustProxySetting = boolean | string[];

/** Names of address ranges the server understands besides addresses and CIDRs. */
export const TRUST_PROXY_RANGE_NAMES = ["loopback", "linklocal", "uniquelocal"] as const;
// More entries than any proxy tier has; the list is checked per request.
const MAX_ENTRIES = 64;

function validEntry(entry: string): boolean {
  if ((TRUST_PROXY_RANGE_NAMES as readonly string[]).includes(entry)) return true;
  const [address = "", bits, extra] = entry.split("/");
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/** Parses `false`, `true` or a comma-separated list; the problem is phrased to follow the setting's name. */
export function parseTrustProxy(raw: string | number | boolean | readonly string[]): { value: TrustProxySetting } | { problem: string } {
  if (typeof raw === "boolean") return { value: raw };
  const text = (Array.isArray(raw) ? raw.join(",") : String(raw)).trim().toLowerCase();
  if (text === "" || text === "false") return { value: false };
  if (text === "true") return { value: true };
  const list = text.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "");
  const bad = list.filter((entry) => !validEntry(entry));
  if (bad.length > 0) {
    return { problem: `must be false, true, or proxy addresses and CIDRs such as 10.0.0.0/8,loopback (bad: ${bad.slice(0, 5).map((b) => `"${b}"`).join(", ")})` };
  }
  if (list.length > MAX_ENTRIES) return { problem: `may list at most ${MAX_ENTRIES} addresses or ranges` };
  return { value: [...new Set(list)] };
}
