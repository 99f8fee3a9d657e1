/** The case, legal basis and purpose of a look-up as the form gave them, checked as the REST schema checks them. */
export interface Grounds {
  case: string;
  legalBasis: string;
  purpose: string;
}

// the rules of schemas/attribution.ts PurposeSchema: these fields end up in the access log and its CSV export
const CONTROL = /[\u0000-\u001f\u007f]/;

export function groundsErrors(g: Grounds, legalBases: string[]): Array<{ field: string; message: string }> {
  const out: Array<{ field: string; message: string }> = [];
  const text = (name: 'case' | 'purpose', max: number, what: string) => {
    const v = g[name];
    if (v.trim() === '') out.push({ field: name, message: `give the ${what}` });
    else if (v.length > max) out.push({ field: name, message: `is ${v.length} characters long; at most ${max}` });
    else if (CONTROL.test(v)) out.push({ field: name, message: 'must not contain control characters (newlines included)' });
  };
  text('case', 256, 'case reference the look-up belongs to');
  if (!legalBases.includes(g.legalBasis)) out.push({ field: 'legalBasis', message: `${JSON.stringify(g.legalBasis)} is not one of ${legalBases.join(', ')}` });
  text('purpose', 2000, 'purpose of the look-up, in words');
  return out;
}
