// "Did you mean …?" for a mistyped command, subcommand or flag: a small edit distance over the
// names the command line knows, and the unknown flags of an argument list.
import { parseArgs, type ParseArgsConfig } from "node:util";

type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;

// Longer inputs are never names; comparing them would only cost time.
const MAX_NAME_LENGTH = 64;

/** Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  // Optimal string alignment: "wroker" is one swap from "worker", not two substitutions.
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) rows.push([i, ...Array.from({ length: b.length }, (_, j) => (i === 0 ? j + 1 : 0))]);
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] as number[];
    const above = rows[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      row[j] = best;
    }
  }
  return (rows[a.length] as number[])[b.length] as number;
}

/**
 * The candidate nearest to `word`, when it is near enough to be a typo: one edit for a word of
 * up to 5 letters, two for longer ones (so "top" suggests nothing); else null.
 */
export function closest(word: string, candidates: readonly string[]): string | null {
  if (word.length === 0 || word.length > MAX_NAME_LENGTH) return null;
  const lower = word.toLowerCase();
  const allowed = Math.min(2, Math.max(1, Math.floor(word.length / 3)));
  let best: { name: string; distance: number } | null = null;
  for (const name of candidates) {
    const distance = editDistance(lower, name.toLowerCase());
    if (distance <= allowed && (best === null || distance < best.distance)) best = { name, distance };
  }
  return best?.name ?? null;
}

/** " Did you mean X?" for the nearest candidate (shown through `show`), or "". */
export function didYouMean(word: string, candidates: readonly string[], show: (name: string) => string = (name) => name): string {
  const match = closest(word, candidates);
  return match === null ? "" : ` Did you mean ${show(match)}?`;
}

/**
 * The message for the first flag of `args` that `options` does not declare, with the nearest
 * declared one ("Unknown flag --concurency. Did you mean --concurrency?"); null when all are known.
 */
export function unknownFlagMessage(args: readonly string[], options: OptionsConfig): string | null {
  // A lenient pass only to find the unknown flags: the strict pass reports every other mistake.
  const { tokens } = parseArgs({ args: [...args], options, allowPositionals: true, strict: false, tokens: true });
  const known = new Set(Object.keys(options));
  for (const token of tokens) {
    if (token.kind !== "option" || known.has(token.name)) continue;
    const shown = token.rawName.length > MAX_NAME_LENGTH ? `${token.rawName.slice(0, MAX_NAME_LENGTH)}…` : token.rawName;
    const hint = token.rawName.startsWith("--") ? didYouMean(token.name, [...known], (name) => `--${name}`) : "";
    return `Unknown flag ${shown}.${hint}`;
  }
  return null;
}

// RQ's names for what Caudex calls otherwise: `rq info` is `caudex stats`.
const RQ_COMMANDS: Readonly<Record<string, string>> = { info: "stats", requeue: "retry", suspend: "pause" };

/** " Did you mean X?" for an unknown command: RQ's name for it, or the nearest command; or "". */
export function commandSuggestion(word: string, names: readonly string[]): string {
  const rq = Object.hasOwn(RQ_COMMANDS, word) ? RQ_COMMANDS[word] : undefined;
  if (rq !== undefined && names.includes(rq)) return ` Did you mean ${rq}? (rq ${word} is caudex ${rq})`;
  return didYouMean(word, names);
}
