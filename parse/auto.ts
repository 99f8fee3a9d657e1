import type { LineParser, ParseContext, ParseSink, TextFormat } from './format.js';
import type { SourceOptions } from '../schemas/source-config.js';

/** How many non-empty lines `auto` looks at before it gives up on a file. */
export const AUTO_SNIFF_LINES = 20;

export interface AutoOptions {
  /** The formats to try, in order: the first whose `sniff` accepts a line wins, so the most specific come first. */
  candidates: readonly TextFormat[];
  /** Non-empty lines to look at before giving up; default {@link AUTO_SNIFF_LINES}. */
  sniffLines?: number;
  /**
   * Told once per parser (that is, per file) what was decided: the format, or null when none
   * recognised the file. Called before any line of the file reaches the sink, so a CLI can print
   * `auto: chose kea-csv for FILE` ahead of that file's rejects.
   */
  onChoice?: (format: TextFormat | null, tried: readonly string[]) => void;
}

/** The parser `auto` creates: it says which format it chose once it has decided. */
export interface AutoLineParser extends LineParser {
  /** undefined until decided; then the chosen format, or null when nothing recognised the file. */
  readonly chosen: TextFormat | null | undefined;
}

/**
 * The format `auto` would choose for these lines: the first candidate whose sniff accepts a
 * non-empty line, trying the lines in order (null when none does).
 */
export function detectFormat(lines: Iterable<string>, candidates: readonly TextFormat[]): TextFormat | null {
  for (const text of lines) {
    if (text.trim() === '') continue;
    for (const f of candidates) if (f.sniff(text)) return f;
  }
  return null;
}

export function isAutoParser(p: LineParser): p is AutoLineParser {
  return p instanceof AutoParser;
}

/**
 * The `auto` format: picks the format of each file from its first non-empty lines, then hands
 * every line to that format's parser. One format per file: a syslog file mixing devices should
 * be split by host in the source configuration instead.
 */
export function autoFormat(o: AutoOptions): TextFormat {
  const candidates = [...o.candidates];
  const limit = o.sniffLines ?? AUTO_SNIFF_LINES;
  return {
    name: 'auto',
    kind: 'any',
    summary: `recognise the format from the first ${limit} non-empty lines of each file (tries ${candidates.map((f) => f.name).join(', ')})`,
    create(options, context) {
      return new AutoParser(candidates, limit, options, context, o.onChoice);
    },
    sniff: (line) => candidates.some((f) => f.sniff(line)),
  };
}

class AutoParser implements AutoLineParser {
  chosen: TextFormat | null | undefined = undefined;
  private inner: LineParser | null = null;
  // Lines seen before the decision, replayed with their own numbers once it is made.
  private held: { text: string; lineNo: number }[] = [];
  private looked = 0;
  private refusal = '';

  constructor(
    private readonly candidates: readonly TextFormat[],
    private readonly limit: number,
    private readonly options: SourceOptions,
    private readonly context: ParseContext,
    private readonly onChoice: AutoOptions['onChoice'],
  ) {}

  line(text: string, lineNo: number, sink: ParseSink): void {
    if (this.inner !== null) return this.inner.line(text, lineNo, sink);
    if (this.chosen === null) return refuse(text, lineNo, sink, this.refusal);
    this.held.push({ text, lineNo });
    if (text.trim() === '') return;
    const f = detectFormat([text], this.candidates);
    if (f !== null) return this.decide(f, sink);
    if (++this.looked >= this.limit) this.decide(null, sink);
  }

  end(sink: ParseSink): void {
    if (this.chosen === undefined) this.decide(null, sink);
    this.inner?.end(sink);
  }

  zoneUse() {
    return this.inner?.zoneUse?.();
  }

  private decide(f: TextFormat | null, sink: ParseSink): void {
    this.chosen = f;
    this.onChoice?.(f, this.candidates.map((c) => c.name));
    const held = this.held;
    this.held = [];
    if (f === null) {
      this.refusal = `auto: no format recognised the first ${this.looked} non-empty line(s) of this file (tried ${this.candidates.map((c) => c.name).join(', ')}); name the format`;
      for (const h of held) refuse(h.text, h.lineNo, sink, this.refusal);
      return;
    }
    this.inner = f.create(this.options, this.context);
    for (const h of held) this.inner.line(h.text, h.lineNo, sink);
  }
}

// Blank lines are not records, so an unrecognised file rejects only its non-blank ones.
function refuse(text: string, lineNo: number, sink: ParseSink, reason: string): void {
  if (text.trim() === '') sink.skip(lineNo, 'empty line');
  else sink.reject(lineNo, reason);
}
