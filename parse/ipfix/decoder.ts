import type { SourceOptions } from '../../schemas/source-config.js';
import { isCiscoIosxrTemplate } from './cisco-templates.js';
import {
  ENTERPRISE_FLAG, NatRecordMapper, NOKIA_NAT_SUBSTRING, NOKIA_NAT_SUBSTRING_IE, NOKIA_PEN, planFor, V9_SCOPE_FLAG,
  type NatMapperOptions, type PacketSink, type RecordContext, type RecordPlan, type RecordView,
} from './nat-records.js';

export type { IpfixSkipCode, PacketSink } from './nat-records.js';

/**
 * NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) message decoding: headers, (options) template
 * sets, withdrawals, variable-length fields and data sets. Templates live per
 * (exporter, version, observation domain / source id, template id); data records are handed
 * to the exporter's NatRecordMapper. Problems go to the sink; nothing throws.
 */

export interface IpfixDecoderOptions extends NatMapperOptions {
  /** Per-exporter options (natInstance, numbering, VRF) layered over these; looked up once per exporter. */
  optionsFor?: (exporter: string) => SourceOptions | undefined;
}

const VARIABLE = 65535;

interface Template {
  id: number;
  options: boolean;
  /** IE ids, with ENTERPRISE_FLAG / V9_SCOPE_FLAG set so they never match an IANA IE. */
  ids: Uint32Array;
  lengths: Uint16Array;
  /** Sum of the fixed lengths plus one length byte per variable field: a shorter remainder is padding. */
  minLength: number;
  variable: boolean;
  plan: RecordPlan;
  view: RecordView;
  ciscoTemplate: boolean;
}

interface Exporter {
  mapper: NatRecordMapper;
  /** key: domain * 2^16 + template id, plus 2^48 for IPFIX so v9 and IPFIX never share (exact in a double). */
  templates: Map<number, Template>;
}

const key = (version: number, domain: number, id: number) => (version === 9 ? 0 : 2 ** 48) + domain * 65536 + id;

export class IpfixDecoder {
  private readonly exporters = new Map<string, Exporter>();
  private readonly ctx: RecordContext = { version: 10, domain: 0, templateId: 0, exportMs: 0, position: '', ciscoTemplate: false };

  constructor(private readonly options: IpfixDecoderOptions = {}) {}

  /**
   * Decodes one UDP payload from `exporter` (its address, the template scope). `where` names
   * the packet in positions (e.g. "capture.pcap frame 12"); default the exporter.
   */
  packet(buf: Buffer, exporter: string, sink: PacketSink, where: string = exporter): void {
    try {
      if (buf.length < 2) return sink.reject(`${where} offset 0`, `packet of ${buf.length} bytes has no version field`);
      const version = buf.readUInt16BE(0);
      if (version === 10) this.ipfix(buf, exporter, sink, where);
      else if (version === 9) this.v9(buf, exporter, sink, where);
      else sink.reject(`${where} offset 0`, `version ${version} is neither NetFlow v9 nor IPFIX (10)`);
    } catch (err) {
      // a bug here must cost one packet, not the collector
      sink.reject(`${where}`, `decoder error: ${(err as Error).message}`);
    }
  }

  /** Number of templates currently known, all exporters. */
  get templateCount(): number {
    let n = 0;
    for (const e of this.exporters.values()) n += e.templates.size;
    return n;
  }

  private exporter(name: string): Exporter {
    let e = this.exporters.get(name);
    if (e === undefined) {
      const own = this.options.optionsFor?.(name);
      e = { mapper: new NatRecordMapper({ ...this.options, ...own }, name), templates: new Map() };
      this.exporters.set(name, e);
    }
    return e;
  }

  private ipfix(buf: Buffer, name: string, sink: PacketSink, where: string): void {
    if (buf.length < 16) return sink.reject(`${where} offset 0`, `truncated IPFIX header: ${buf.length} of 16 bytes`);
    const length = buf.readUInt16BE(2);
    if (length < 16) return sink.reject(`${where} offset 2`, `IPFIX message length ${length} is below the 16-byte header`);
    const ex = this.exporter(name);
    const ctx = this.ctx;
    ctx.version = 10;
    ctx.exportMs = buf.readUInt32BE(4) * 1000;
    ctx.domain = buf.readUInt32BE(12);
    // a cut message still yields its complete sets; the cut is reported once, where it is
    const cut = this.sets(buf, 16, Math.min(length, buf.length), ex, name, sink, where);
    if (length > buf.length && !cut) {
      sink.reject(`${where} offset ${buf.length}`, `truncated IPFIX message: header says ${length} bytes, got ${buf.length}`);
    }
  }

  private v9(buf: Buffer, name: string, sink: PacketSink, where: string): void {
    if (buf.length < 20) return sink.reject(`${where} offset 0`, `truncated NetFlow v9 header: ${buf.length} of 20 bytes`);
    const ex = this.exporter(name);
    const ctx = this.ctx;
    ctx.version = 9;
    ctx.exportMs = buf.readUInt32BE(8) * 1000;
    ctx.domain = buf.readUInt32BE(16);
    this.sets(buf, 20, buf.length, ex, name, sink, where);
  }

  /** Returns whether it reported a cut set (so the caller does not report the same cut again). */
  private sets(buf: Buffer, pos: number, end: number, ex: Exporter, name: string, sink: PacketSink, where: string): boolean {
    const ctx = this.ctx;
    const v9 = ctx.version === 9;
    while (pos < end) {
      if (end - pos < 4) {
        // v9 exporters may pad the packet itself; IPFIX may not
        if (v9) return false;
        sink.reject(`${where} offset ${pos}`, `truncated set header: ${end - pos} bytes left`);
        return true;
      }
      const id = buf.readUInt16BE(pos);
      const len = buf.readUInt16BE(pos + 2);
      if (len < 4) {
        sink.reject(`${where} offset ${pos}`, `set ${id} has length ${len}, below its 4-byte header`);
        return true;
      }
      if (pos + len > end) {
        sink.reject(`${where} offset ${pos}`, `truncated set ${id}: it claims ${len} bytes, ${end - pos} remain`);
        return true;
      }
      const body = pos + 4;
      const setEnd = pos + len;
      if (v9 ? id === 0 : id === 2) this.templates(buf, body, setEnd, ex, false, sink, where);
      else if (v9 ? id === 1 : id === 3) {
        if (v9) this.v9OptionTemplates(buf, body, setEnd, ex, sink, where);
        else this.templates(buf, body, setEnd, ex, true, sink, where);
      } else if (id >= 256) this.data(buf, body, setEnd, id, ex, name, sink, where);
      else sink.skip(`${where} offset ${pos}`, `set id ${id} is reserved`, 'reserved-set');
      pos = setEnd;
    }
    return false;
  }

  /** Template sets (v9 id 0, IPFIX 2) and IPFIX options template sets (3), including withdrawals. */
  private templates(buf: Buffer, pos: number, end: number, ex: Exporter, options: boolean, sink: PacketSink, where: string): void {
    const { version, domain } = this.ctx;
    const ipfix = version === 10;
    while (end - pos >= 4) {
      const at = pos;
      const id = buf.readUInt16BE(pos);
      const count = buf.readUInt16BE(pos + 2);
      pos += 4;
      if (count === 0) {
        if (!ipfix) return sink.reject(`${where} offset ${at}`, `template ${id} has no fields`);
        this.withdraw(ex, domain, id, options);
        continue;
      }
      let scopes = 0;
      if (options) {
        if (end - pos < 2) return sink.reject(`${where} offset ${pos}`, `truncated options template ${id}: no scope field count`);
        scopes = buf.readUInt16BE(pos);
        pos += 2;
        if (scopes === 0 || scopes > count) {
          return sink.reject(`${where} offset ${at}`, `options template ${id} has scope field count ${scopes} of ${count} fields`);
        }
      }
      const ids = new Uint32Array(count);
      const lengths = new Uint16Array(count);
      for (let i = 0; i < count; i++) {
        if (end - pos < 4) return sink.reject(`${where} offset ${pos}`, `truncated template ${id}: field ${i + 1} of ${count} is cut`);
        let ie = buf.readUInt16BE(pos);
        lengths[i] = buf.readUInt16BE(pos + 2);
        pos += 4;
        if (ipfix && ie & 0x8000) {
          if (end - pos < 4) return sink.reject(`${where} offset ${pos}`, `truncated template ${id}: enterprise number of field ${i + 1} is cut`);
          const pen = buf.readUInt32BE(pos);
          pos += 4;
          ie = pen === NOKIA_PEN && (ie & 0x7fff) === NOKIA_NAT_SUBSTRING_IE ? NOKIA_NAT_SUBSTRING : (ie & 0x7fff) | ENTERPRISE_FLAG;
        }
        ids[i] = ie;
      }
      if (id < 256) {
        sink.reject(`${where} offset ${at}`, `template id ${id} is below 256`);
        continue;
      }
      this.define(ex, version, domain, id, options, ids, lengths);
    }
  }

  /** v9 options templates: scope and option fields are given as byte lengths (RFC 3954 §6.1). */
  private v9OptionTemplates(buf: Buffer, pos: number, end: number, ex: Exporter, sink: PacketSink, where: string): void {
    const { domain } = this.ctx;
    // anything shorter than a record header is padding to the 32-bit boundary
    while (end - pos >= 6) {
      const at = pos;
      const id = buf.readUInt16BE(pos);
      const scopeLen = buf.readUInt16BE(pos + 2);
      const optionLen = buf.readUInt16BE(pos + 4);
      pos += 6;
      if (scopeLen % 4 !== 0 || optionLen % 4 !== 0 || scopeLen + optionLen === 0) {
        return sink.reject(`${where} offset ${at}`, `options template ${id}: scope length ${scopeLen} / option length ${optionLen} are not whole fields`);
      }
      if (end - pos < scopeLen + optionLen) {
        return sink.reject(`${where} offset ${pos}`, `truncated options template ${id}: ${scopeLen + optionLen} bytes of fields, ${end - pos} remain`);
      }
      const scopes = scopeLen / 4;
      const count = scopes + optionLen / 4;
      const ids = new Uint32Array(count);
      const lengths = new Uint16Array(count);
      for (let i = 0; i < count; i++, pos += 4) {
        const type = buf.readUInt16BE(pos);
        // v9 scope types 1-5 (system, interface, line card, cache, template) would collide with IEs 1-5
        ids[i] = i < scopes && type <= 5 ? type | V9_SCOPE_FLAG : type;
        lengths[i] = buf.readUInt16BE(pos + 2);
      }
      if (id < 256) {
        sink.reject(`${where} offset ${at}`, `template id ${id} is below 256`);
        continue;
      }
      this.define(ex, 9, domain, id, true, ids, lengths);
    }
  }

  private define(ex: Exporter, version: number, domain: number, id: number, options: boolean, ids: Uint32Array, lengths: Uint16Array): void {
    let minLength = 0;
    let variable = false;
    for (let i = 0; i < lengths.length; i++) {
      if (version === 10 && lengths[i] === VARIABLE) {
        variable = true;
        minLength += 1;
      } else minLength += lengths[i];
    }
    const view: RecordView = { buf: Buffer.alloc(0), off: new Int32Array(ids.length), len: new Int32Array(ids.length) };
    ex.templates.set(key(version, domain, id), { id, options, ids, lengths, minLength, variable, plan: planFor(ids), view, ciscoTemplate: isCiscoIosxrTemplate(version, id, ids, lengths) });
  }

  /** RFC 7011 §8.1: id 2 (templates) / 3 (options templates) with no fields withdraws all of that kind. */
  private withdraw(ex: Exporter, domain: number, id: number, options: boolean): void {
    if (id !== (options ? 3 : 2)) {
      ex.templates.delete(key(10, domain, id));
      return;
    }
    for (const [k, t] of ex.templates) {
      if (k >= 2 ** 48 && Math.floor((k - 2 ** 48) / 65536) === domain && t.options === options) ex.templates.delete(k);
    }
  }

  private data(buf: Buffer, pos: number, end: number, id: number, ex: Exporter, name: string, sink: PacketSink, where: string): void {
    const ctx = this.ctx;
    const t = ex.templates.get(key(ctx.version, ctx.domain, id));
    if (t === undefined) {
      const domainName = ctx.version === 9 ? 'source id' : 'observation domain';
      return sink.reject(
        `${where} offset ${pos - 4}`,
        `data set for unknown template ${id} (exporter ${name}, ${domainName} ${ctx.domain}): no template received yet`,
      );
    }
    ctx.templateId = id;
    ctx.ciscoTemplate = t.ciscoTemplate;
    const { view, lengths } = t;
    view.buf = buf;
    const n = lengths.length;
    // a record cannot be empty; a remainder shorter than the smallest record is padding
    const min = Math.max(t.minLength, 1);
    while (end - pos >= min) {
      const at = pos;
      for (let i = 0; i < n; i++) {
        let l = lengths[i];
        if (t.variable && l === VARIABLE) {
          if (pos >= end) return this.cut(sink, where, at, pos, id, i);
          l = buf[pos++];
          if (l === 255) {
            if (end - pos < 2) return this.cut(sink, where, at, pos, id, i);
            l = buf.readUInt16BE(pos);
            pos += 2;
          }
        }
        if (end - pos < l) return this.cut(sink, where, at, pos, id, i);
        view.off[i] = pos;
        view.len[i] = l;
        pos += l;
      }
      ctx.position = `${where} offset ${at}`;
      if (t.options) ex.mapper.optionsRecord(t.plan, view, ctx);
      else ex.mapper.record(t.plan, view, ctx, sink);
    }
    // padding must be zero (RFC 7011 §3.3.1), so anything else is the start of a cut record
    for (let i = pos; i < end; i++) {
      if (buf[i] !== 0) return sink.reject(`${where} offset ${pos}`, `truncated record of template ${id}: ${end - pos} bytes left, a record needs at least ${min}`);
    }
  }

  private cut(sink: PacketSink, where: string, at: number, pos: number, id: number, field: number): void {
    sink.reject(`${where} offset ${at}`, `truncated record of template ${id} at offset ${pos}: field ${field + 1} runs past the end of its set`);
  }
}
