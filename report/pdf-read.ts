import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';

/** The name the signed report is embedded under in every PDF whohad makes. */
export const EMBEDDED_NAME = 'whohad-report.json';

export class PdfReadError extends Error {
  override readonly name = 'PdfReadError';
  constructor(
    readonly problem: 'truncated' | 'unreadable' | 'changed_content',
    message: string,
  ) {
    super(message);
  }
  get truncated(): boolean {
    return this.problem === 'truncated';
  }
}

const latin1 = (b: Buffer) => b.toString('latin1');

/**
 * The objects of a PDF as its cross-reference table places them. Only what whohad's own PDFs
 * use (one classic xref table, as pdfkit writes it): a PDF that is cut short or whose table
 * points into nothing is refused, so a damaged file never passes for a whole one.
 */
function objectOffsets(pdf: Buffer): Map<number, number> {
  const tail = latin1(pdf.subarray(Math.max(0, pdf.length - 1024)));
  if (!/%%EOF\s*$/.test(tail)) {
    throw new PdfReadError('truncated', `truncated PDF: it ends after ${pdf.length} bytes without its end-of-file marker (%%EOF); get the whole file again`);
  }
  const m = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(tail);
  if (!m) throw new PdfReadError('unreadable', 'unreadable PDF: no startxref before %%EOF');
  const at = Number(m[1]);
  if (at >= pdf.length || latin1(pdf.subarray(at, at + 4)) !== 'xref') {
    throw new PdfReadError('truncated', `truncated or damaged PDF: its cross-reference table should start at byte ${at}, but does not`);
  }
  const table = latin1(pdf.subarray(at, pdf.length));
  const head = /^xref\s+(\d+)\s+(\d+)\s+/.exec(table);
  if (!head) throw new PdfReadError('unreadable', 'unreadable PDF: its cross-reference table has no subsection header');
  const first = Number(head[1]);
  const count = Number(head[2]);
  const offsets = new Map<number, number>();
  const entries = table.slice(head[0].length).split(/\r?\n/);
  for (let i = 0; i < count; i++) {
    const e = /^(\d{10}) (\d{5}) ([nf])/.exec(entries[i] ?? '');
    if (!e) throw new PdfReadError('unreadable', `unreadable PDF: cross-reference entry ${first + i} is malformed`);
    if (e[3] !== 'n') continue;
    const id = first + i;
    const off = Number(e[1]);
    if (latin1(pdf.subarray(off, off + 24)).split(/\s+/, 3).join(' ') !== `${id} 0 obj`) {
      throw new PdfReadError('unreadable', `damaged PDF: object ${id} is not where its cross-reference table says (byte ${off})`);
    }
    offsets.set(id, off);
  }
  return offsets;
}

interface PdfObject {
  dict: string;
  stream: Buffer | null;
}

function readObject(pdf: Buffer, offsets: Map<number, number>, id: number): PdfObject {
  const off = offsets.get(id);
  if (off === undefined) throw new PdfReadError('unreadable', `unreadable PDF: object ${id} is referred to but not in its cross-reference table`);
  const text = latin1(pdf.subarray(off, Math.min(pdf.length, off + 4096)));
  const s = text.indexOf('\nstream\n');
  const e = text.indexOf('\nendobj');
  if (s < 0 || (e >= 0 && e < s)) return { dict: text.slice(0, e < 0 ? undefined : e), stream: null };
  const length = /\/Length (\d+)/.exec(text.slice(0, s));
  if (!length) throw new PdfReadError('unreadable', `unreadable PDF: stream object ${id} states no length`);
  const start = off + s + '\nstream\n'.length;
  const end = start + Number(length[1]);
  if (end > pdf.length || latin1(pdf.subarray(end, end + 10)) !== '\nendstream') {
    throw new PdfReadError('unreadable', `damaged PDF: stream object ${id} does not end where its length says`);
  }
  return { dict: text.slice(0, s), stream: pdf.subarray(start, end) };
}

/** The signed report's bytes, as embedded in a PDF whohad made (report/pdf.ts). */
export function embeddedReport(pdf: Buffer): Buffer {
  const offsets = objectOffsets(pdf);
  const nameText = `/F (${EMBEDDED_NAME})`;
  for (const [id] of offsets) {
    const o = readObject(pdf, offsets, id);
    if (!o.dict.includes('/Type /Filespec') || !o.dict.includes(nameText)) continue;
    const ef = /\/EF <<\s*\/F (\d+) 0 R/.exec(o.dict);
    if (!ef) throw new PdfReadError('unreadable', `unreadable PDF: the file entry of ${EMBEDDED_NAME} names no embedded stream`);
    const file = readObject(pdf, offsets, Number(ef[1]));
    if (!file.stream) throw new PdfReadError('unreadable', `unreadable PDF: ${EMBEDDED_NAME} has no data`);
    let data: Buffer;
    try {
      data = file.dict.includes('/Filter /FlateDecode') ? inflateSync(file.stream) : Buffer.from(file.stream);
    } catch (err) {
      throw new PdfReadError('changed_content', `changed content: the embedded ${EMBEDDED_NAME} cannot be decompressed (${(err as Error).message}); the PDF was altered or damaged`);
    }
    const sum = /\/CheckSum \(([0-9a-f]{32})\)/.exec(file.dict)?.[1];
    if (sum && createHash('md5').update(data).digest('hex') !== sum) {
      throw new PdfReadError('changed_content', `changed content: the embedded ${EMBEDDED_NAME} does not match the checksum it was embedded with`);
    }
    return data;
  }
  throw new PdfReadError('unreadable', `not a whohad report PDF: it carries no embedded ${EMBEDDED_NAME}`);
}
