// `caudex completion bash|zsh|fish`: prints the shell's completion script for every command,
// subcommand and flag. Made from a function of the command list, which lists this command too.
import { ExitCode, UsageError, type Command } from "../command.js";
import { SHELLS, completionScript, type Shell } from "../completion.js";
import { didYouMean } from "../suggest.js";

/** The `completion` command, completing the commands `commands()` gives when it runs. */
export function completionCommand(commands: () => readonly Command[]): Command {
  return {
    name: "completion",
    summary: "Print a shell completion script (bash, zsh or fish)",
    usage: "completion bash|zsh|fish",
    details: [
      "Examples:",
      "  source <(caudex completion bash)                         # in ~/.bashrc",
      "  caudex completion zsh > \"${fpath[1]}/_caudex\"             # then restart zsh",
      "  caudex completion fish > ~/.config/fish/completions/caudex.fish",
      "The script is static: it completes commands, subcommands and flags without running caudex.",
    ].join("\n"),
    options: {},
    positionals: ["SHELL"],
    settings: [],
    async run(ctx) {
      const shell = ctx.positionals[0] as string;
      if (!(SHELLS as readonly string[]).includes(shell)) {
        throw new UsageError(`Unknown shell "${shell.slice(0, 40)}": use ${SHELLS.join(", ")}.${didYouMean(shell, SHELLS)}`, ctx.command);
      }
      process.stdout.write(completionScript(shell as Shell, commands()));
      return ExitCode.ok;
    },
  };
}
