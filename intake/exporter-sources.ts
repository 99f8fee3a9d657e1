import type { SourceConfig, SourceOptions } from '../schemas/source-config.js';
import { sourceFor } from './sources.js';
import { IPFIX } from '../parse/registry.js';
import type { IpfixDecoderOptions } from '../parse/ipfix/decoder.js';

/**
 * How IPFIX exporters are matched to configured sources, the same for the UDP collector and
 * capture replay: by the exporter's address against `match.host` of the `format: ipfix`
 * sources, in file order. A matched exporter is read with `defaults` overridden by its source's
 * options (natInstance, ipfixNatEventNumbering, vrf) and counted under the source's name; an
 * unmatched one with `defaults`, counted as `ipfix:ADDRESS`.
 */
export interface ExporterSources {
  /** Decoder options: `defaults`, with each exporter's own source options layered on. */
  decoder: IpfixDecoderOptions;
  /** The source an exporter's records are counted under. */
  sourceName(exporter: string): string;
}

export function exporterSources(config: SourceConfig | null): ExporterSources {
  const ipfix = config ? { ...config, sources: config.sources.filter((s) => s.format === IPFIX) } : null;
  const names = new Map<string, string>();
  return {
    decoder: {
      ...config?.defaults,
      optionsFor: (exporter): SourceOptions | undefined => {
        const s = ipfix ? sourceFor(ipfix, { host: exporter }) : undefined;
        return s ? { ...config?.defaults, ...s.options } : undefined;
      },
    },
    sourceName(exporter) {
      let n = names.get(exporter);
      if (n === undefined) {
        n = (ipfix && sourceFor(ipfix, { host: exporter })?.name) || `ipfix:${exporter}`;
        names.set(exporter, n);
      }
      return n;
    },
  };
}
