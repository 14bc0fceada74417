/** Width of a string in pixels, in the font the lines will be drawn with. */
export type MeasurePx = (text: string) => number;

// Break opportunities: between words for spaced scripts; Chinese and Japanese have no spaces,
// and ICU's word segmenter splits them into dictionary words, which are also where a line may
// break. (A hand-rolled split on spaces would put a whole Chinese paragraph on one line.)
const words = new Intl.Segmenter(undefined, { granularity: 'word' });
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

// Closing punctuation stays at the end of the line before it, never opens one (、。，！？ too);
// opening punctuation stays with the word after it, never ends a line.
// Written as escapes, so the bundles stay ASCII (deploy/bundle-source.mjs): NO_LINE_START is
// » ” ’ 、 。 ， ． ： ； ！ ？ ） 」 』 】 〉 》 besides ASCII's; NO_LINE_END is « “ ‘ （ 「 『 【 〈 《.
const NO_LINE_START = /^[\s.,;:!?)\]}\u00bb\u201d\u2019\u3001\u3002\uff0c\uff0e\uff1a\uff1b\uff01\uff1f\uff09\u300d\u300f\u3011\u3009\u300b]+$/u;
const NO_LINE_END = /^[([{\u00ab\u201c\u2018\uff08\u300c\u300e\u3010\u3008\u300a]+$/u;

/**
 * Greedy line wrapping to `maxWidthPx`: at word boundaries (ICU's, which cover CJK), a word
 * wider than a line is split between characters (graphemes, so an emoji or accent stays whole),
 * explicit newlines are kept, spaces at the start of a wrapped line are dropped.
 */
export function wrapText(text: string, maxWidthPx: number, measure: MeasurePx): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split(/\r?\n/)) wrapParagraph(paragraph, maxWidthPx, measure, lines);
  return lines;
}

function wrapParagraph(paragraph: string, maxWidthPx: number, measure: MeasurePx, lines: string[]): void {
  const first = lines.length;
  let line = '';
  for (const segment of glueOpening(paragraph)) {
    const blank = /^\s+$/u.test(segment);
    if (line === '' && blank) continue;
    const candidate = line + segment;
    if (line !== '' && measure(candidate.trimEnd()) > maxWidthPx && !NO_LINE_START.test(segment)) {
      lines.push(line.trimEnd());
      line = '';
      if (blank) continue;
    }
    line = line === '' && measure(segment) > maxWidthPx ? splitLongWord(segment, maxWidthPx, measure, lines) : line + segment;
  }
  // An empty paragraph (a blank line in the text) is kept as an empty line.
  if (line !== '' || lines.length === first) lines.push(line.trimEnd());
}

/** The paragraph's word segments, each opening bracket or quote joined to the segment after it. */
function* glueOpening(paragraph: string): Generator<string> {
  let held = '';
  for (const { segment } of words.segment(paragraph)) {
    if (NO_LINE_END.test(segment)) held += segment;
    else {
      yield held + segment;
      held = '';
    }
  }
  if (held) yield held;
}

/** Pushes the full lines of a word too wide for one and returns what is left for the next. */
function splitLongWord(word: string, maxWidthPx: number, measure: MeasurePx, lines: string[]): string {
  let line = '';
  for (const { segment } of graphemes.segment(word)) {
    if (line !== '' && measure(line + segment) > maxWidthPx) {
      lines.push(line);
      line = '';
    }
    line += segment;
  }
  return line;
}
