import { parse } from 'csv-parse';
import { Readable } from 'node:stream';
import type { BulkFormat } from '../../bulk/run.js';
import type { ResultPage } from './pages/bulk.js';

export const ROWS_PER_PAGE = 50;

/**
 * One page of a stored bulk result, read chunk by chunk from the start and stopped as soon as
 * the page is full: a long result is never held whole. NDJSON rows are shown as their top-level
 * fields (nested ones as JSON).
 */
export async function resultPage(chunks: AsyncIterable<string>, format: BulkFormat, pageNo: number): Promise<ResultPage> {
  const skip = (pageNo - 1) * ROWS_PER_PAGE;
  const rows: string[][] = [];
  let header: string[] = [];
  let seen = 0;
  let more = false;
  const take = (cells: string[]): boolean => {
    if (seen++ < skip) return true;
    if (rows.length === ROWS_PER_PAGE) {
      more = true;
      return false;
    }
    rows.push(cells);
    return true;
  };
  if (format === 'csv') {
    const parser = Readable.from(chunks).pipe(parse({ relax_column_count: true }));
    let first = true;
    for await (const record of parser as AsyncIterable<string[]>) {
      if (first) {
        header = record;
        first = false;
        continue;
      }
      if (!take(record)) break;
    }
    parser.destroy();
  } else {
    let rest = '';
    outer: for await (const chunk of chunks) {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        if (line === '') continue;
        const obj = JSON.parse(line) as Record<string, unknown>;
        if (header.length === 0) header = Object.keys(obj);
        if (!take(header.map((k) => (typeof obj[k] === 'string' ? (obj[k] as string) : JSON.stringify(obj[k] ?? ''))))) break outer;
      }
    }
  }
  return { header, rows, page: pageNo, more };
}
