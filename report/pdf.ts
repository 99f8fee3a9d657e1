import { DateTime } from 'luxon';
import PDFDocument from 'pdfkit';
import type { AttributionAnswer } from '../schemas/attribution.js';
import type { BulkReportPart, SignedReport } from '../schemas/report.js';
import { END_BASIS_TEXT, REASON_TEXT, STATUS_TEXT } from './reasons.js';
import { signedReportBytes } from './sign.js';
import { EMBEDDED_NAME } from './pdf-read.js';
import { timelineOf, type Timeline, type TimelineBar } from './timeline.js';
import { ingestText } from './ingest-text.js';

type Doc = PDFKit.PDFDocument;

const MARGIN = 50;
const FOOTER = 46;
const INK = '#1a1a1a';
const MUTED = '#555555';
const NAT = '#2b5c9e';
const LEASE = '#2f7d4a';
const WINDOW = '#f3d98b';
const INSTANT = '#b3261e';
/** Rows of a bulk table drawn in the PDF; the embedded JSON has all of them. */
const MAX_TABLE_ROWS = 400;

/**
 * The report as a PDF a court or a case file can take: readable sections, the evidence
 * timeline drawn from the same data, the fingerprint on every page, and the signed JSON
 * embedded as a file so the PDF alone can be verified (`whohad report verify`).
 */
export function renderReportPdf(signed: SignedReport): Promise<Buffer> {
  const r = signed.report;
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: MARGIN, left: MARGIN, right: MARGIN, bottom: MARGIN + FOOTER },
    bufferPages: true,
    info: {
      Title: `whohad disclosure report ${signed.fingerprint.slice(0, 16)}`,
      Author: `${r.software.name} ${r.software.version}`,
      Subject: `${r.kind === 'lookup' ? 'Look-up' : 'Bulk job'} for case ${r.grounds.case ?? '(none)'}`,
      CreationDate: new Date(r.madeAt),
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((ok, fail) => {
    doc.on('end', () => ok(Buffer.concat(chunks)));
    doc.on('error', fail);
  });

  // `relationship` (the PDF/A-3 AFRelationship) is honoured by pdfkit though its typings omit it
  doc.file(signedReportBytes(signed), {
    name: EMBEDDED_NAME,
    type: 'application/json',
    description: 'The signed report (canonical JSON, RFC 8785): what `whohad report verify` checks',
    relationship: 'Source',
    creationDate: new Date(r.madeAt),
    modifiedDate: new Date(r.madeAt),
  } as PDFKit.Mixins.PDFAttachmentOptions);

  title(doc, r.kind === 'lookup' ? 'Disclosure report: look-up' : 'Disclosure report: bulk job');
  doc.fillColor(MUTED).fontSize(9).text(`Made ${r.madeAt} by ${r.software.name} ${r.software.version}. Signed with Ed25519 key ${signed.signature.keyId}.`);
  doc.moveDown(0.6);

  section(doc, 'Who asked, and why');
  pairs(doc, [
    ['Case', r.grounds.case ?? '(not recorded)'],
    ['Legal basis', r.grounds.legalBasis ?? '(not recorded)'],
    ['Purpose', r.grounds.purpose ?? '(not recorded)'],
    ['Asked by', `${r.requester.user ?? '(unknown)'}${r.requester.tokenId ? ` (token ${r.requester.tokenId})` : ''}${r.requester.client ? ` from ${r.requester.client}` : ''}`],
  ]);

  if (r.lookup) lookupSections(doc, r.lookup.question, r.lookup.answer);
  if (r.bulk) bulkSections(doc, r.bulk);

  section(doc, 'Data sources when the report was made');
  if (r.sources.length === 0) para(doc, 'No source has delivered events to this installation yet.');
  else table(doc, ['Source', 'Last stored', 'Latest event time'], r.sources.map((s) => [s.source, s.lastIngestedAt, s.lastEventAt ?? '-']), [140, 180, 175]);

  section(doc, 'Access log');
  pairs(doc, [
    ['Record', `chain ${r.accessLog.chain}, number ${r.accessLog.seq}`],
    ['Record hash', r.accessLog.hash],
    ['Content hash', r.accessLog.reportContentHash],
  ]);
  para(doc, 'The access-log record was written before this report left the service and holds the content hash above (its details.reportContentHash): the SHA-256 of this report without its access-log section.', MUTED);

  section(doc, 'Signature and verification');
  pairs(doc, [
    ['Fingerprint', signed.fingerprint],
    ['Key id', signed.signature.keyId],
    ['Signature', signed.signature.value],
  ]);
  para(
    doc,
    `This PDF carries the signed report as the attached file ${EMBEDDED_NAME}. Check it with "whohad report verify <this file> --url <service>" (or --key with the public key): it recomputes the fingerprint above from the attached report and checks the Ed25519 signature. The pages are a rendering of that report.`,
    MUTED,
  );

  footers(doc, signed);
  doc.end();
  return done;
}

function title(doc: Doc, text: string) {
  doc.fillColor(INK).font('Helvetica-Bold').fontSize(18).text(text);
  doc.font('Helvetica');
}

function section(doc: Doc, text: string) {
  if (doc.y > doc.page.height - doc.page.margins.bottom - 60) doc.addPage();
  doc.moveDown(0.8).fillColor(INK).font('Helvetica-Bold').fontSize(12).text(text, MARGIN);
  const y = doc.y + 1;
  doc.moveTo(MARGIN, y).lineTo(doc.page.width - MARGIN, y).lineWidth(0.5).strokeColor('#999999').stroke();
  doc.moveDown(0.4).font('Helvetica').fontSize(10);
}

function para(doc: Doc, text: string, color = INK) {
  doc.fillColor(color).fontSize(9.5).text(text, MARGIN, doc.y, { width: doc.page.width - 2 * MARGIN });
  doc.moveDown(0.3).fontSize(10);
}

/** Label and value rows; long values (hashes) wrap inside their column. */
function pairs(doc: Doc, rows: Array<[string, string]>) {
  const width = doc.page.width - 2 * MARGIN;
  for (const [k, v] of rows) {
    const y = doc.y;
    doc.fillColor(MUTED).font('Helvetica').fontSize(9.5).text(k, MARGIN, y, { width: 110 });
    const h1 = doc.y;
    doc.fillColor(INK).text(v, MARGIN + 115, y, { width: width - 115 });
    doc.y = Math.max(doc.y, h1) + 2;
  }
  doc.x = MARGIN;
}

function table(doc: Doc, head: string[], rows: string[][], widths: number[]) {
  const line = (cells: string[], bold: boolean) => {
    if (doc.y > doc.page.height - doc.page.margins.bottom - 20) doc.addPage();
    const y = doc.y;
    let x = MARGIN;
    let bottom = y;
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(9).fillColor(INK);
    cells.forEach((c, i) => {
      doc.text(c, x, y, { width: widths[i] - 6 });
      bottom = Math.max(bottom, doc.y);
      x += widths[i];
    });
    doc.y = bottom + 2;
  };
  line(head, true);
  for (const r of rows) line(r, false);
  doc.font('Helvetica').x = MARGIN;
}

function lookupSections(doc: Doc, q: Record<string, unknown>, a: AttributionAnswer) {
  section(doc, 'The question, as asked');
  pairs(doc, [
    ['Address', String(q.ip)],
    ['Port', q.port === undefined ? '(none: every subscriber sharing the address is named)' : String(q.port)],
    ['Time', `"${String(q.at)}"`],
    ['Zone', q.tz === undefined ? '(none: the time carries its own offset, or is UTC)' : String(q.tz)],
    ['Tolerance', q.tolerance === undefined ? `(default) ${a.query.tolerance} s either side` : `${String(q.tolerance)} s either side`],
    ...(q.natInstance === undefined ? [] : [['NAT instance', String(q.natInstance)] as [string, string]]),
    ...(q.protocol === undefined ? [] : [['Protocol', String(q.protocol)] as [string, string]]),
  ]);
  section(doc, 'Instants searched');
  table(
    doc,
    ['UTC', 'Local', 'Window (UTC)'],
    a.instants.map((i) => [i.utc, i.local, `${i.windowFrom.slice(11)} to ${i.windowTo.slice(11)}`]),
    [150, 180, 165],
  );

  section(doc, 'Answer');
  doc.font('Helvetica-Bold').fontSize(13).fillColor(a.status === 'unique' ? LEASE : a.status === 'ambiguous' ? '#a15c00' : INK);
  doc.text(a.status === 'unique' ? `unique: ${a.subscriberId}` : a.status, MARGIN);
  doc.font('Helvetica').fontSize(10);
  para(doc, STATUS_TEXT[a.status]);
  if (a.reasons.length > 0) {
    for (const reason of a.reasons) {
      doc.fillColor(INK).font('Helvetica-Bold').fontSize(9.5).text(reason, MARGIN + 10, doc.y, { continued: true });
      doc.font('Helvetica').text(`: ${REASON_TEXT[reason]}`, { width: doc.page.width - 2 * MARGIN - 10 });
    }
    doc.x = MARGIN;
  }

  if (a.candidates.length > 0) {
    section(doc, 'Evidence timeline');
    drawTimeline(doc, timelineOf(a), a.query.tz ?? 'UTC');
  }

  section(doc, `Candidates and evidence (${a.candidates.length})`);
  if (a.candidates.length === 0) para(doc, 'No candidate.');
  for (const c of a.candidates) {
    doc.moveDown(0.3).font('Helvetica-Bold').fontSize(10.5).fillColor(INK).text(`Subscriber ${c.subscriberId}`, MARGIN);
    doc.font('Helvetica');
    c.evidence.forEach((ev, i) => {
      doc.fontSize(9.5).fillColor(MUTED).text(`Evidence ${i + 1}`, MARGIN);
      const al = ev.allocation;
      if (al) {
        pairs(doc, [
          ['Allocation', `${al.publicIp} ${al.portStart === null ? 'all ports' : `ports ${al.portStart}-${al.portEnd}`}${al.protocol === null ? '' : ` protocol ${al.protocol}`} to ${al.privateIp}${al.privateVrf === 'default' ? '' : ` (VRF ${al.privateVrf})`} on NAT ${al.natInstance}`],
          ['  from', `${al.start ?? `unknown${al.startNotBefore ? ` (not before ${al.startNotBefore})` : ''}`}${al.startInferred ? ' (inferred)' : ''}`],
          ['  to', `${al.end ?? 'open'}: ${END_BASIS_TEXT[al.endBasis] ?? al.endBasis}`],
          ...(al.lastSeen ? [['  last seen', al.lastSeen] as [string, string]] : []),
          // a computed allocation: no log names the holder, the configuration in force does
          ...(al.configuration
            ? [
                ['  computed', `by ${al.configuration.format} configuration ${al.configuration.instance} version ${al.configuration.version} (${al.configuration.id}), in force from ${al.configuration.validFrom}, entered by ${al.configuration.enteredBy}`],
                ['  formula', al.configuration.formula],
              ] as Array<[string, string]>
            : []),
          ['  source', `${al.source}, ${ingestText(al.ingest)}; record ${al.id}`],
        ]);
      }
      const l = ev.lease;
      pairs(doc, [
        ['Lease', `${l.ip}${l.vrf === 'default' ? '' : ` (VRF ${l.vrf})`} to subscriber ${l.subscriberId}`],
        ['  from', l.start ?? `unknown${l.startNotBefore ? ` (not before ${l.startNotBefore})` : ''}`],
        ['  to', l.endNotBefore
          ? `ended at an unknown time between ${l.endNotBefore} and ${l.end ?? 'open'} (released or deleted, the time not recorded)`
          : `${l.end ?? 'open'}: ${END_BASIS_TEXT[l.endBasis] ?? l.endBasis}`],
        ['  source', `${l.source}, ${ingestText(l.ingest)}; record ${l.id}`],
      ]);
    });
  }
}

function bulkSections(doc: Doc, b: BulkReportPart) {
  section(doc, 'The job');
  pairs(doc, [
    ['Job', b.job.id],
    ['Mode', b.job.mode === 'async' ? 'background job (the result is kept for download)' : 'streamed (the rows went to the uploader only)'],
    ['State', b.job.state],
    ['Started', b.job.createdAt],
    ['Finished', b.job.finishedAt ?? '-'],
    ['Rows', `${b.summary.rows}${b.summary.complete ? '' : ' (the upload broke off)'}`],
    ...(b.result ? [['Result', `${b.result.format}, ${b.result.bytes} bytes, SHA-256 ${b.result.sha256}`] as [string, string]] : []),
  ]);
  section(doc, 'Answers per status and reason');
  table(doc, ['Status', 'Rows'], Object.entries(b.summary.byStatus).map(([k, v]) => [k, String(v)]), [200, 100]);
  const reasons = Object.entries(b.summary.byReason);
  if (reasons.length > 0) {
    doc.moveDown(0.4);
    table(doc, ['Reason', 'Rows'], reasons.map(([k, v]) => [k, String(v)]), [200, 100]);
  }
  section(doc, `Corroboration (${b.corroboration.length} subscribers)`);
  table(
    doc,
    ['Subscriber', 'Unique rows', 'Candidate rows', 'First', 'Last'],
    b.corroboration.slice(0, MAX_TABLE_ROWS).map((c) => [c.subscriberId, String(c.uniqueRows), String(c.candidateRows), c.first, c.last]),
    [110, 65, 75, 123, 122],
  );
  if (b.corroboration.length > MAX_TABLE_ROWS) para(doc, `… and ${b.corroboration.length - MAX_TABLE_ROWS} more in the attached report.`, MUTED);
  section(doc, `Access-log records of the job (${b.records.length})`);
  table(
    doc,
    ['Record', 'Rows', 'Subscribers', 'Hash'],
    b.records.slice(0, MAX_TABLE_ROWS).map((x) => [`${x.chain} #${x.seq}`, `${x.rows[0]}-${x.rows[1]}`, String(x.disclosed.length), x.hash]),
    [110, 60, 65, 260],
  );
  if (b.records.length > MAX_TABLE_ROWS) para(doc, `… and ${b.records.length - MAX_TABLE_ROWS} more in the attached report.`, MUTED);
}

/** The evidence on one time axis: each interval a bar whose ends show how they are known. */
function drawTimeline(doc: Doc, t: Timeline, zone: string) {
  const labelW = 150;
  const left = MARGIN + labelW;
  const right = doc.page.width - MARGIN - 8;
  const rowH = 24;
  const axisH = 22;
  const legendH = 44;
  const height = t.bars.length * rowH + axisH + legendH + 10;
  if (doc.y + height > doc.page.height - doc.page.margins.bottom) doc.addPage();
  const top = doc.y + 4;
  const bottom = top + t.bars.length * rowH;
  const x = (ms: number) => left + ((ms - t.from) / (t.to - t.from)) * (right - left);

  for (const [a, b] of t.windows) doc.rect(x(a) - 1.5, top - 2, Math.max(3, x(b) - x(a) + 3), bottom - top + 4).fill(WINDOW);
  // hour ticks, labelled in the zone of the question
  doc.lineWidth(0.3).strokeColor('#bbbbbb');
  const step = t.to - t.from > 12 * 3_600_000 ? 3 * 3_600_000 : 3_600_000;
  for (let h = Math.ceil(t.from / step) * step; h <= t.to; h += step) {
    doc.moveTo(x(h), top - 2).lineTo(x(h), bottom + 3).stroke();
    const local = DateTime.fromMillis(h, { zone });
    doc.fillColor(MUTED).fontSize(7).text(local.toFormat('HH:mm'), x(h) - 15, bottom + 5, { width: 30, align: 'center', lineBreak: false });
  }
  doc.fillColor(MUTED).fontSize(7).text(`local time, ${zone}`, left, bottom + 14, { width: right - left, align: 'right', lineBreak: false });

  t.bars.forEach((bar, i) => drawBar(doc, bar, top + i * rowH, rowH, x, MARGIN, labelW));

  t.instants.forEach((ms, i) => {
    doc.lineWidth(1.2).strokeColor(INSTANT).moveTo(x(ms), top - 6).lineTo(x(ms), bottom + 3).stroke();
    const name = t.instants.length > 1 ? `T${i + 1}` : 'T';
    doc.fillColor(INSTANT).fontSize(7.5).text(name, x(ms) - 10, top - 15, { width: 20, align: 'center', lineBreak: false });
  });

  const ly = bottom + 28;
  legend(doc, ly, [
    ['nat', 'port-block allocation'],
    ['lease', 'lease'],
    ['window', 'tolerance window'],
    ['instant', t.instants.length > 1 ? 'T1, T2: both instants of the repeated local hour' : 'T: the instant asked for'],
  ]);
  legend(doc, ly + 13, [
    ['logged', 'end logged (released, expired, stop)'],
    ['inferred', 'end inferred (superseded, scheduled expiry)'],
    ['open', 'still open, or goes on past the picture'],
  ]);
  doc.y = ly + 30;
  doc.x = MARGIN;
}

function drawBar(doc: Doc, bar: TimelineBar, y: number, rowH: number, x: (ms: number) => number, labelX: number, labelW: number) {
  const color = bar.kind === 'nat' ? NAT : LEASE;
  doc.fillColor(INK).fontSize(8).text(bar.label, labelX, y + 2, { width: labelW - 6, lineBreak: false, ellipsis: true });
  doc.fillColor(MUTED).fontSize(7).text(bar.detail, labelX, y + 11, { width: labelW - 6, lineBreak: false, ellipsis: true });
  const x0 = x(bar.from);
  const x1 = Math.max(x0 + 1, x(bar.to));
  const by = y + 5;
  const bh = 10;
  if (bar.clippedRight) {
    // runs on past the picture: how it ends is in the evidence table, not here
    doc.rect(x0, by, x1 - x0, bh).fillOpacity(0.85).fill(color).fillOpacity(1);
    arrow(doc, x1, by + bh / 2, color, 1);
  } else if (bar.endStyle === 'inferred') {
    // an inferred end: the bar fades into a dashed outline over its last stretch
    const solidTo = Math.max(x0, x1 - Math.min(30, (x1 - x0) / 3));
    doc.rect(x0, by, solidTo - x0, bh).fillOpacity(0.85).fill(color);
    doc.fillOpacity(1).rect(solidTo, by, x1 - solidTo, bh).lineWidth(0.8).dash(2.5, { space: 2 }).strokeColor(color).stroke().undash();
    doc.lineWidth(1.2).dash(2, { space: 1.5 }).moveTo(x1, by - 3).lineTo(x1, by + bh + 3).strokeColor(color).stroke().undash();
  } else {
    doc.rect(x0, by, x1 - x0, bh).fillOpacity(0.85).fill(color).fillOpacity(1);
    if (bar.endStyle === 'logged') doc.lineWidth(2).moveTo(x1, by - 3).lineTo(x1, by + bh + 3).strokeColor(INK).stroke();
    else arrow(doc, x1, by + bh / 2, color, 1);
  }
  if (bar.clippedLeft) arrow(doc, x0, by + bh / 2, color, -1);
  else if (bar.startUnknown) {
    doc.lineWidth(0.8).dash(1.5, { space: 1.5 }).moveTo(x0, by - 2).lineTo(x0, by + bh + 2).strokeColor(INK).stroke().undash();
  }
}

/** A triangle pointing right (1) or left (-1): the interval goes on beyond this point. */
function arrow(doc: Doc, xEnd: number, yMid: number, color: string, dir: 1 | -1) {
  doc.polygon([xEnd, yMid - 6], [xEnd + 7 * dir, yMid], [xEnd, yMid + 6]).fill(color);
}

function legend(doc: Doc, y: number, items: Array<[string, string]>) {
  let x = MARGIN;
  for (const [kind, text] of items) {
    if (kind === 'window') doc.rect(x, y, 14, 8).fill(WINDOW);
    else if (kind === 'nat' || kind === 'lease') doc.rect(x, y, 14, 8).fill(kind === 'nat' ? NAT : LEASE);
    else if (kind === 'instant') doc.lineWidth(1.2).strokeColor(INSTANT).moveTo(x + 7, y - 1).lineTo(x + 7, y + 9).stroke();
    else if (kind === 'logged') {
      doc.rect(x, y, 12, 8).fill(NAT);
      doc.lineWidth(2).strokeColor(INK).moveTo(x + 12, y - 2).lineTo(x + 12, y + 10).stroke();
    } else if (kind === 'inferred') {
      doc.rect(x, y, 6, 8).fill(NAT);
      doc.rect(x + 6, y, 8, 8).lineWidth(0.8).dash(2.5, { space: 2 }).strokeColor(NAT).stroke().undash();
    } else {
      doc.rect(x, y, 10, 8).fill(NAT);
      arrow(doc, x + 10, y + 4, NAT, 1);
    }
    doc.fillColor(INK).fontSize(7.5).text(text, x + 20, y, { lineBreak: false });
    x += 20 + doc.widthOfString(text) + 16;
  }
}

/** The fingerprint and page number at the foot of every page. */
function footers(doc: Doc, signed: SignedReport) {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const bottom = doc.page.margins.bottom;
    // writing inside the bottom margin would otherwise start a new page
    doc.page.margins.bottom = 0;
    const y = doc.page.height - MARGIN - FOOTER + 14;
    doc.lineWidth(0.5).strokeColor('#999999').moveTo(MARGIN, y - 4).lineTo(doc.page.width - MARGIN, y - 4).stroke();
    doc.font('Helvetica').fontSize(7.5).fillColor(MUTED);
    doc.text(`SHA-256 fingerprint ${signed.fingerprint}`, MARGIN, y, { lineBreak: false });
    doc.text(`page ${i + 1 - range.start} of ${range.count}`, MARGIN, y, { width: doc.page.width - 2 * MARGIN, align: 'right', lineBreak: false });
    doc.text(`case ${signed.report.grounds.case ?? '-'} · made ${signed.report.madeAt} · key ${signed.signature.keyId.slice(0, 16)}…`, MARGIN, y + 11, { lineBreak: false });
    doc.page.margins.bottom = bottom;
  }
}
