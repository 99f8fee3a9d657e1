/**
 * A NUL byte in a body that should be UTF-8 text: it is UTF-16 without a byte order mark, or
 * not text at all. No log line or CSV cell holds one, and a parser that let it through would
 * store an identifier no investigator can type, so every text door refuses such a body whole.
 */

/** Where the first NUL byte stands, both counted from 1. */
export interface NulAt {
  byte: number;
  line: number;
}

/**
 * Finds the first NUL byte of a body read in chunks, in one pass over each chunk (the line
 * count is kept only up to it), so a NUL at the end of a gigabyte is found as surely as at the
 * start and in linear time.
 */
export class NulFinder {
  private bytes = 0;
  private lines = 1;
  private found: NulAt | null = null;

  /** The first NUL once one has been seen, in this chunk or before. */
  push(chunk: Buffer): NulAt | null {
    if (this.found) return this.found;
    const nul = chunk.indexOf(0);
    const end = nul === -1 ? chunk.length : nul;
    for (let i = chunk.indexOf(10); i !== -1 && i < end; i = chunk.indexOf(10, i + 1)) this.lines++;
    if (nul !== -1) this.found = { byte: this.bytes + nul + 1, line: this.lines };
    this.bytes += chunk.length;
    return this.found;
  }
}

/** The first NUL byte of a whole body, or null. */
export const findNul = (body: Buffer): NulAt | null => new NulFinder().push(body);

/** Says where the NUL is and what it means, for a message that also says what to do. */
export const nulText = (what: string, at: NulAt) =>
  `${what} contains NUL bytes, the first at byte ${at.byte} (line ${at.line}): it is UTF-16 without a byte order mark, or not text`;
