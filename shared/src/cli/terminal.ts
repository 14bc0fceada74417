/** Colours for a terminal; plain text where the output is piped (or NO_COLOR is set). */
export interface Paint {
  readonly bold: (text: string) => string;
  readonly dim: (text: string) => string;
  readonly red: (text: string) => string;
  readonly green: (text: string) => string;
  readonly cyan: (text: string) => string;
  readonly magenta: (text: string) => string;
}

const sgr = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const plain = (text: string) => text;

export function paintFor(stream: NodeJS.WriteStream): Paint {
  const colour = stream.isTTY === true && process.env.NO_COLOR === undefined;
  if (!colour) return { bold: plain, dim: plain, red: plain, green: plain, cyan: plain, magenta: plain };
  return { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), cyan: sgr(36, 39), magenta: sgr(35, 39) };
}

/** `12:03:04.567`, local time: when a line happened, for a person reading along. */
export function clockTime(atMs: number): string {
  const at = new Date(atMs);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}.${String(at.getMilliseconds()).padStart(3, '0')}`;
}

/** Rows as aligned columns, the first row the header. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => visibleLength(row[column] ?? '')))) ?? [];
  return rows.map((row) => row.map((cell, column) => cell + ' '.repeat((widths[column] ?? 0) - visibleLength(cell))).join('  ').trimEnd()).join('\n');
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: colour codes are what is measured away.
const visibleLength = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '').length;
