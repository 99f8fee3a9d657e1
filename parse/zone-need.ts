import type { SourceOptions } from '../schemas/source-config.js';
import { SYSLOG_ZONELESS } from './formats/nat-common.js';
import { auto, IPFIX, textFormats } from './registry.js';

/**
 * Why a source of `format` with these options cannot be read as configured: its format's
 * times usually carry no zone and no `timezone` is set; null when it can. Config loading
 * refuses such a source, and an ingest without configuration should refuse to start: reading
 * the times as UTC would put every record of the source hours off, silently.
 */
export function zoneRequirement(format: string, options: Pick<SourceOptions, 'timezone'>): string | null {
  if (options.timezone !== undefined || format === IPFIX) return null;
  const set = 'set timezone for it (the zone of the device\'s clock, or UTC if it logs UTC), in its options or in defaults';
  if (format === auto.name) {
    return `format auto may choose a format whose times carry no zone (${SYSLOG_ZONELESS}), and no timezone is set: ${set}`;
  }
  const zoneless = textFormats.get(format)?.zoneless;
  return zoneless === undefined ? null : `format ${format} reads ${zoneless}, and no timezone is set: ${set}`;
}
