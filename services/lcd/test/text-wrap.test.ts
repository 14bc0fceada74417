import { describe, expect, it } from 'vitest';
import { wrapText } from '../src/text-wrap.js';

// A monospace stand-in for the font: 10 px a character, 20 px for a CJK one (as drawn).
const measure = (text: string) => [...text].reduce((width, ch) => width + (/[\u3000-\u9fff\uac00-\ud7af\uff00-\uffef]/u.test(ch) ? 20 : 10), 0);

describe('wrapText', () => {
  it('breaks English at spaces, no line wider than the box, nothing lost', () => {
    const text = 'Tomorrow looks dry and mild, around fourteen degrees in the afternoon.';
    const lines = wrapText(text, 120, measure);
    expect(lines).toEqual(['Tomorrow', 'looks dry', 'and mild,', 'around', 'fourteen', 'degrees in', 'the', 'afternoon.']);
    expect(lines.every((line) => measure(line) <= 120)).toBe(true);
    expect(lines.join(' ')).toBe(text);
  });

  it('splits a word wider than the line between characters', () => {
    expect(wrapText('a Supercalifragilistic word', 80, measure)).toEqual(['a', 'Supercal', 'ifragili', 'stic', 'word']);
  });

  it('breaks Chinese without spaces, between words, keeping closing punctuation off the start of a line', () => {
    const text = '明天北京晴转多云，最高气温十八度，最低气温七度，北风三到四级。';
    const lines = wrapText(text, 180, measure);
    expect(lines.join('')).toBe(text);
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) {
      expect(measure(line)).toBeLessThanOrEqual(200); // a kept-back comma may overhang by itself
      expect(line).not.toMatch(/^[，。]/u);
    }
  });

  it('keeps Korean words whole (they are spaced) and Japanese kana in sentence order', () => {
    const korean = wrapText('안녕하세요, 만나서 반갑습니다.', 140, measure);
    expect(korean).toEqual(['안녕하세요,', '만나서', '반갑습니다.']);
    const japanese = wrapText('こんにちは、元気ですか？', 100, measure);
    expect(japanese.join('')).toBe('こんにちは、元気ですか？');
    expect(japanese.every((line) => !line.startsWith('、') && !line.startsWith('？'))).toBe(true);
  });

  it('keeps the text’s own line breaks and blank lines, and gives one empty line for no text', () => {
    expect(wrapText('one\n\ntwo', 100, measure)).toEqual(['one', '', 'two']);
    expect(wrapText('', 100, measure)).toEqual(['']);
  });

  it('does not start a wrapped line with the space it broke at', () => {
    const lines = wrapText('aaaa bbbb    cccc', 60, measure);
    expect(lines).toEqual(['aaaa', 'bbbb', 'cccc']);
  });

  it('keeps an opening bracket or quote with the word after it', () => {
    expect(wrapText('refused (401) now', 90, measure)).toEqual(['refused', '(401) now']);
    expect(wrapText('他说「你好」吧', 100, measure).every((line) => !line.endsWith('「'))).toBe(true);
  });
});
