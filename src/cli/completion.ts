// Shell completion scripts for bash, zsh and fish, generated from the command declarations, so
// that every command, subcommand and flag (long and short) completes as --help lists it. The
// scripts are static: they never run `caudex`, so completing costs nothing and opens no store.
import type { Command, OptionSpec } from "./command.js";
import { GLOBAL_OPTIONS } from "./help.js";
import { COMMON_SETTINGS, SETTINGS } from "./settings.js";

/** The shells `caudex completion` writes a script for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;
/** A shell `caudex completion` supports. */
export type Shell = (typeof SHELLS)[number];

/** One flag as completion offers it. */
interface Flag {
  long: string;
  short: string | null;
  takesValue: boolean;
  help: string;
}

/** A command or subcommand: its words after "caudex", its flags, its verbs. */
interface Entry {
  words: string[];
  summary: string;
  flags: Flag[];
  verbs: string[];
}

// The value of these flags is a file: the shells complete paths there.
const FILE_FLAGS = new Set(["tasks", "db", "from"]);

function flagOf(long: string, spec: OptionSpec): Flag {
  const space = spec.help.indexOf("  ");
  const help = spec.type === "string" && space >= 0 ? spec.help.slice(space + 2) : spec.help;
  return { long, short: spec.short ?? null, takesValue: spec.type === "string", help };
}

function flagsOf(command: Command): Flag[] {
  const settings = [...new Set([...command.settings, ...COMMON_SETTINGS])].map((key) => {
    const source = SETTINGS[key];
    return flagOf(source.flag, { type: "string", help: source.help, ...(source.short === undefined ? {} : { short: source.short }) });
  });
  const own = Object.entries({ ...command.options, ...GLOBAL_OPTIONS }).map(([name, spec]) => flagOf(name, spec));
  return [...own, ...settings];
}

/** Every command and subcommand, flattened, in --help order. */
function entries(commands: readonly Command[]): Entry[] {
  return commands.flatMap((command) => {
    const verbs = (command.subcommands ?? []).map((sub) => sub.name.slice(command.name.length + 1));
    const top: Entry = { words: [command.name], summary: command.summary, flags: flagsOf(command), verbs };
    const subs = (command.subcommands ?? []).map((sub) => ({ words: sub.name.split(" "), summary: sub.summary, flags: flagsOf(sub), verbs: [] }));
    return [top, ...subs];
  });
}

function valueFlags(all: readonly Entry[]): string[] {
  const words = all.flatMap((e) => e.flags.filter((f) => f.takesValue).flatMap((f) => [`--${f.long}`, ...(f.short === null ? [] : [`-${f.short}`])]));
  return [...new Set(words)].sort();
}

function fileFlags(all: readonly Entry[]): string[] {
  const words = all.flatMap((e) => e.flags.filter((f) => FILE_FLAGS.has(f.long)).flatMap((f) => [`--${f.long}`, ...(f.short === null ? [] : [`-${f.short}`])]));
  return [...new Set(words)].sort();
}

function flagWords(entry: Entry): string {
  return entry.flags.flatMap((f) => [`--${f.long}`, ...(f.short === null ? [] : [`-${f.short}`])]).join(" ");
}

/** Single-quotes a word for sh and zsh. */
function quoted(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Single-quotes a word for fish (backslash escapes inside its single quotes). */
function fishQuoted(text: string): string {
  return `'${text.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

// bash and zsh share the scan of the words typed so far: the first two words that are neither
// flags nor a flag's value are the command and its verb.
function scanLines(values: readonly string[], indent: string): string[] {
  return [
    `${indent}local cmd="" sub="" skip=0 w`,
    `${indent}for w in "\${typed[@]}"; do`,
    `${indent}  if [[ $skip == 1 ]]; then skip=0; continue; fi`,
    `${indent}  case "$w" in`,
    `${indent}    ${values.length === 0 ? "--never--" : values.join("|")}) skip=1 ;;`,
    `${indent}    -*) ;;`,
    `${indent}    *) if [[ -z $cmd ]]; then cmd=$w; elif [[ -z $sub ]]; then sub=$w; fi ;;`,
    `${indent}  esac`,
    `${indent}done`,
  ];
}

function bashScript(all: readonly Entry[]): string {
  const tops = all.filter((e) => e.words.length === 1);
  return [
    "# caudex completion for bash: add `source <(caudex completion bash)` to ~/.bashrc,",
    "# or save it as /etc/bash_completion.d/caudex.",
    "_caudex() {",
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"',
    '  local typed=("${COMP_WORDS[@]:1:COMP_CWORD-1}")',
    ...scanLines(valueFlags(all), "  "),
    `  case "$prev" in ${fileFlags(all).join("|")}) COMPREPLY=($(compgen -f -- "$cur")); return ;; esac`,
    `  case "$prev" in ${valueFlags(all).join("|")}) COMPREPLY=(); return ;; esac`,
    `  if [[ -z $cmd ]]; then COMPREPLY=($(compgen -W ${quoted(`${tops.map((e) => e.words[0]).join(" ")} help --help --version`)} -- "$cur")); return; fi`,
    "  local key=$cmd flags=\"\" verbs=\"\"",
    '  case "$cmd" in',
    ...tops.filter((e) => e.verbs.length > 0).map((e) => `    ${e.words[0]}) case "$sub" in ${e.verbs.join("|")}) key="$cmd $sub" ;; *) [[ -z $sub ]] && verbs=${quoted(e.verbs.join(" "))} ;; esac ;;`),
    ...(tops.some((e) => e.words[0] === "completion") ? [`    completion) [[ -z $sub ]] && verbs=${quoted(SHELLS.join(" "))} ;;`] : []),
    "  esac",
    '  case "$key" in',
    ...all.map((e) => `    ${quoted(e.words.join(" "))}) flags=${quoted(flagWords(e))} ;;`),
    "  esac",
    '  if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "$flags" -- "$cur")); else COMPREPLY=($(compgen -W "$verbs" -- "$cur")); fi',
    "}",
    "complete -F _caudex caudex",
    "",
  ].join("\n");
}

function zshScript(all: readonly Entry[]): string {
  const tops = all.filter((e) => e.words.length === 1);
  const described = (name: string, help: string) => quoted(`${name.replace(/:/g, "\\:")}:${help}`);
  return [
    "#compdef caudex",
    "# caudex completion for zsh: save as _caudex in a directory of $fpath (then run compinit),",
    "# or add `source <(caudex completion zsh)` to ~/.zshrc after compinit.",
    "_caudex() {",
    "  local cur=${words[CURRENT]} prev=${words[CURRENT-1]}",
    "  local -a typed=(${words[2,CURRENT-1]}) items",
    ...scanLines(valueFlags(all), "  "),
    `  case "$prev" in ${fileFlags(all).join("|")}) _files; return ;; esac`,
    `  case "$prev" in ${valueFlags(all).join("|")}) return ;; esac`,
    "  if [[ -z $cmd ]]; then",
    `    items=(${tops.map((e) => described(e.words[0] as string, e.summary)).join(" ")})`,
    "    _describe command items; return",
    "  fi",
    "  local key=$cmd",
    '  case "$cmd" in',
    ...tops
      .filter((e) => e.verbs.length > 0)
      .map((e) => {
        const subs = all.filter((s) => s.words.length === 2 && s.words[0] === e.words[0]);
        const verbs = subs.map((s) => described(s.words[1] as string, s.summary)).join(" ");
        return `    ${e.words[0]}) case "$sub" in ${e.verbs.join("|")}) key="$cmd $sub" ;; *) if [[ -z $sub && $cur != -* ]]; then items=(${verbs}); _describe subcommand items; return; fi ;; esac ;;`;
      }),
    ...(tops.some((e) => e.words[0] === "completion") ? [`    completion) if [[ -z $sub && $cur != -* ]]; then compadd ${SHELLS.join(" ")}; return; fi ;;`] : []),
    "  esac",
    "  [[ $cur == -* ]] || return",
    '  case "$key" in',
    ...all.map((e) => {
      const flags = e.flags.flatMap((f) => [described(`--${f.long}`, f.help), ...(f.short === null ? [] : [described(`-${f.short}`, f.help)])]);
      return `    ${quoted(e.words.join(" "))}) items=(${flags.join(" ")}) ;;`;
    }),
    "  esac",
    "  _describe flag items",
    "}",
    'if [[ "${funcstack[1]}" == _caudex ]]; then _caudex "$@"; else compdef _caudex caudex; fi',
    "",
  ].join("\n");
}

function fishScript(all: readonly Entry[]): string {
  const tops = all.filter((e) => e.words.length === 1);
  const lines = ["# caudex completion for fish: save as ~/.config/fish/completions/caudex.fish", "complete -c caudex -f"];
  for (const e of tops) lines.push(`complete -c caudex -n __fish_use_subcommand -a ${e.words[0]} -d ${fishQuoted(e.summary)}`);
  for (const e of all) {
    const parent = e.words[0] as string;
    const top = tops.find((t) => t.words[0] === parent);
    const condition =
      e.words.length === 2
        ? `__fish_seen_subcommand_from ${parent}; and __fish_seen_subcommand_from ${e.words[1]}`
        : top !== undefined && top.verbs.length > 0
          ? `__fish_seen_subcommand_from ${parent}; and not __fish_seen_subcommand_from ${top.verbs.join(" ")}`
          : `__fish_seen_subcommand_from ${parent}`;
    if (e.words.length === 1) {
      const subs = all.filter((s) => s.words.length === 2 && s.words[0] === parent);
      for (const s of subs) lines.push(`complete -c caudex -n ${fishQuoted(condition)} -a ${s.words[1]} -d ${fishQuoted(s.summary)}`);
      if (parent === "completion") lines.push(`complete -c caudex -n ${fishQuoted(condition)} -a ${fishQuoted(SHELLS.join(" "))}`);
    }
    for (const f of e.flags) {
      const value = f.takesValue ? (FILE_FLAGS.has(f.long) ? " -r -F" : " -x") : "";
      const short = f.short === null ? "" : ` -s ${f.short}`;
      lines.push(`complete -c caudex -n ${fishQuoted(condition)} -l ${f.long}${short}${value} -d ${fishQuoted(f.help)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** The completion script of `shell` for these commands. */
export function completionScript(shell: Shell, commands: readonly Command[]): string {
  const all = entries(commands);
  if (shell === "bash") return bashScript(all);
  if (shell === "zsh") return zshScript(all);
  return fishScript(all);
}
