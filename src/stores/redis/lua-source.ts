// Assembles a script's source from its body and the shared includes (`-- @include <name>`
// lines, also inside includes: an include's own includes come first, each include once). Only
// the top-level definitions of the includes that the script reaches are inlined:
// Redis runs a script's whole top level on every call, and creating closures the script never
// calls cost more than the script's own work in the single-job enqueue.

/** One top-level definition of an include: its text and the local names it defines. */
interface Block {
  text: string;
  names: string[];
}

/**
 * Splits an include into blocks, each starting at a column-0 `local` line (with the comment
 * lines just above it) and running to the next one. Every top-level statement of an include
 * must be such a definition: a statement that defines nothing would be dropped.
 */
export function splitBlocks(source: string): Block[] {
  const blocks: Block[] = [];
  let lines: string[] = [];
  let comments: string[] = [];
  const close = (): void => {
    if (lines.length === 0) return;
    const text = lines.join("\n");
    blocks.push({ text, names: definedNames(text) });
  };
  for (const line of source.split("\n")) {
    if (line.startsWith("--")) {
      comments.push(line);
    } else if (line.startsWith("local ")) {
      close();
      lines = [...comments, line];
      comments = [];
    } else {
      lines.push(...comments, line);
      comments = [];
    }
  }
  close();
  return blocks;
}

function definedNames(text: string): string[] {
  const head = text.split("\n").find((line) => line.startsWith("local ")) ?? "";
  const fn = /^local function (\w+)/.exec(head);
  if (fn?.[1] !== undefined) return [fn[1]];
  const vars = /^local ([\w\s,]+?)\s*(?:=|$)/.exec(head);
  return vars?.[1]?.split(",").map((name) => name.trim()) ?? [];
}

/**
 * The text without its `--` comments, for finding uses. A line whose `--` comes after an odd
 * number of quotes (a `--` inside a string) is kept whole: reading too much only inlines more.
 */
export function withoutComments(text: string): string {
  return text
    .split("\n")
    .map((line) => {
      const at = line.indexOf("--");
      if (at < 0) return line;
      const before = line.slice(0, at);
      return (before.match(/['"]/g) ?? []).length % 2 === 0 ? before : line;
    })
    .join("\n");
}

/** Whether `text` uses `name` as a variable: not as a field (`x.name`) or method (`x:name`). */
export function mentions(text: string, name: string): boolean {
  return new RegExp(`(?<![\\w:])(?<!(?<!\\.)\\.)${name}(?!\\w)`).test(text);
}

const INCLUDE_LINE = /^-- @include (\S+)\n?/gm;

/** The definitions of an include, after those of the includes it names (each include once). */
function includeBlocks(name: string, readInclude: (name: string) => string, seen: Set<string>): Block[] {
  if (seen.has(name)) return [];
  seen.add(name);
  const blocks: Block[] = [];
  const own = readInclude(name).replace(INCLUDE_LINE, (_line, inner: string) => {
    blocks.push(...includeBlocks(inner, readInclude, seen));
    return "";
  });
  blocks.push(...splitBlocks(own));
  return blocks;
}

/** The body with its `-- @include` lines replaced by the include definitions it reaches. */
export function assembleScript(body: string, readInclude: (name: string) => string): string {
  const blocks: Block[] = [];
  const seen = new Set<string>();
  const withoutIncludes = body.replace(INCLUDE_LINE, (_line, name: string) => {
    blocks.push(...includeBlocks(name, readInclude, seen));
    return "";
  });
  const used = new Set<Block>();
  let reach = withoutComments(withoutIncludes);
  for (let grew = true; grew; ) {
    grew = false;
    for (const block of blocks) {
      if (!used.has(block) && block.names.some((name) => mentions(reach, name))) {
        used.add(block);
        reach += `\n${withoutComments(block.text)}`;
        grew = true;
      }
    }
  }
  const prelude = blocks.filter((block) => used.has(block)).map((block) => block.text);
  return [...prelude, withoutIncludes].join("\n");
}
