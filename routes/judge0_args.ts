/**
 * Judge0's `command_line_arguments`: one string, which Judge0 appends to
 * the program's command line for bash to split. Split here the way bash
 * splits words, without running a shell: whitespace separates arguments,
 * single quotes keep everything literally, double quotes keep whitespace
 * (a backslash escapes `"`, `\`, `$` and a backquote in them), and a
 * backslash outside quotes escapes the next character. Nothing is
 * expanded: `$HOME` or `*` reach the program as written.
 */

/** The arguments `line` holds, or why it cannot be split (an unclosed quote). */
export function splitCommandLine(line: string): { args: string[] } | { problem: string } {
  const args: string[] = [];
  let current = "";
  // An argument may be empty ('' or ""), so whether one is open is kept apart.
  let open = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else current += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = undefined;
      else if (ch === "\\" && i + 1 < line.length && '"\\$`\n'.includes(line[i + 1])) {
        const next = line[++i];
        if (next !== "\n") current += next;
      } else current += ch;
    } else if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") {
      if (open) args.push(current);
      current = "";
      open = false;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      open = true;
    } else if (ch === "\\" && i + 1 < line.length) {
      const next = line[++i];
      // A backslash before a newline continues the line.
      if (next !== "\n") {
        current += next;
        open = true;
      }
    } else {
      current += ch;
      open = true;
    }
  }
  if (quote) {
    return { problem: `Has an unclosed ${quote === "'" ? "single" : "double"} quote` };
  }
  if (open) args.push(current);
  return { args };
}
