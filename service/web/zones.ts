/** The zones the pickers offer: UTC first, then every IANA zone this runtime knows, and the configured one. */
export function zoneList(configured: string): string[] {
  const all = Intl.supportedValuesOf('timeZone').filter((z) => z !== 'UTC');
  if (configured !== 'UTC' && !all.includes(configured)) all.push(configured);
  return ['UTC', ...all.sort()];
}
