import type { RuleError } from '../format.js';

/** One line of a configuration text that carries something: its 1-based number and its words. */
export interface ConfigLine {
  line: number;
  words: string[];
}

/**
 * The lines of a configuration that say something, split into words. Blank lines and `#`
 * comments carry nothing; a NUL or another control character is refused on its line, because a
 * byte two readers would see differently must not become part of a mapping.
 */
export function configLines(text: string): { lines: ConfigLine[]; errors: RuleError[] } {
  const lines: ConfigLine[] = [];
  const errors: RuleError[] = [];
  const raw = text.split(/\r?\n/);
  for (let i = 0; i < raw.length; i++) {
    const body = raw[i].replace(/#.*$/, '').trim();
    if (body === '') continue;
    if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(body)) {
      errors.push({ line: i + 1, message: 'contains a control character' });
      continue;
    }
    lines.push({ line: i + 1, words: body.split(/[ \t]+/) });
  }
  return { lines, errors };
}

/** A strictly decimal integer within bounds, or null (no signs, no exponent, no leading zeros). */
export function decimal(text: string, min: number, max: number): number | null {
  if (!/^(0|[1-9]\d{0,9})$/.test(text)) return null;
  const n = Number(text);
  return n >= min && n <= max ? n : null;
}

/** Errors in the order of the lines they name, as an operator reads the file. */
export function byLine(errors: RuleError[]): RuleError[] {
  return [...errors].sort((a, b) => a.line - b.line);
}
