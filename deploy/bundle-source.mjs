// The form of every bundle's source text, and its check. V8 keeps a module's whole source on
// the heap for as long as the process runs (it compiles functions lazily from it), as one byte
// a character only while every character is ASCII: a single "—" left in a dependency's comment
// made a service's 2.5 MB bundle a 4.9 MiB string, paid by every process. Without whitespace and
// comments the source is a third smaller again (conversation-state: 2.5 → 1.6 MB; 3.3 MiB less
// private memory in all). Names are kept (no identifier minification), so a stack trace still
// says which function failed; licence comments stay, at the end of each file.
import { readFileSync } from 'node:fs';

/** esbuild options for the source form; `charset: 'ascii'` escapes strings and regular expressions. */
export const SOURCE_FORM = { minifyWhitespace: true, charset: 'ascii' };

/** Fails the build if an output's source is not all ASCII (V8 would then hold it at two bytes a character). */
export function assertAsciiOutputs(root, outputs) {
  for (const output of outputs) {
    if (!output.endsWith('.mjs') && !output.endsWith('.js')) continue;
    const bytes = readFileSync(`${root}/${output}`);
    const at = bytes.findIndex((byte) => byte > 0x7f);
    if (at >= 0) {
      const source = bytes.toString('latin1');
      throw new Error(`bundle: ${output} has a character outside ASCII at offset ${at} (${JSON.stringify(source.slice(Math.max(0, at - 40), at + 20))}); V8 would hold the whole source at two bytes a character`);
    }
  }
}
