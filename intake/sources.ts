import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { Compile } from 'typebox/compile';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { zoneByName } from '../core/zoned.js';
import { SourceConfigSchema, SourceOptionsSchema, SourceSchema, type SourceConfig, type SourceOptions } from '../schemas/source-config.js';
import { formatNames, isFormatName } from '../parse/registry.js';
import { zoneRequirement } from '../parse/zone-need.js';

export type Source = SourceConfig['sources'][number];

/** One thing wrong with a configuration file, located in the document when possible. */
export interface ConfigProblem {
  /** Where in the document, as `sources[2].options.timezone` (empty for the whole file). */
  path: string;
  message: string;
  /** 1-based position in the file, when the path exists in it. */
  line?: number;
  column?: number;
}

export class SourceConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {
    super(
      `invalid source configuration ${file}:\n` +
        problems.map((p) => `  ${file}${p.line ? `:${p.line}:${p.column}` : ''}: ${p.path ? `${p.path}: ` : ''}${p.message}`).join('\n'),
    );
    this.name = 'SourceConfigError';
  }
}

const whole = Compile(SourceConfigSchema);
const oneSource = Compile(SourceSchema);
const someOptions = Compile(SourceOptionsSchema);
const MAX_PROBLEMS = 50;

/** Reads a source configuration (YAML, or JSON, which is YAML too), or throws a {@link SourceConfigError}. */
export async function loadSourceConfig(path: string): Promise<SourceConfig> {
  return parseSourceConfig(await readFile(path, 'utf8'), path);
}

export function loadSourceConfigSync(path: string): SourceConfig {
  return parseSourceConfig(readFileSync(path, 'utf8'), path);
}

/**
 * Parses and checks a source configuration: the schema, then what it cannot say (format names,
 * IANA zones, unique source names). Every problem found is reported at once, each with its
 * place in the document and the line it is on, so one run fixes a file.
 */
export function parseSourceConfig(text: string, file = '<config>'): SourceConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new SourceConfigError(
      file,
      doc.errors.slice(0, MAX_PROBLEMS).map((e) => {
        const at = lineCounter.linePos(e.pos[0]);
        return { path: '', message: e.message.split('\n')[0], line: at.line, column: at.col };
      }),
    );
  }
  const value: unknown = doc.toJS();
  const problems: Omit<ConfigProblem, 'line' | 'column'>[] = [];
  const where: (string | number)[][] = [];
  const add = (segments: (string | number)[], message: string) => {
    problems.push({ path: pathText(segments), message });
    where.push(segments);
  };

  if (value === null || value === undefined) {
    add([], 'the file is empty: it needs at least `sources: []`');
  } else {
    if (!whole.Check(value)) shapeProblems(value, add);
    meaningProblems(value, add);
  }
  if (problems.length > 0) {
    const located = problems.map((p, i) => ({ ...p, ...position(doc, lineCounter, where[i]) }));
    // In the order of the file, as someone fixing it reads it.
    located.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    throw new SourceConfigError(file, located.slice(0, MAX_PROBLEMS));
  }
  return value as SourceConfig;
}

type Add = (segments: (string | number)[], message: string) => void;

// The whole-file validator stops at a few errors; checking each source on its own reports
// every bad source in one run.
function shapeProblems(value: unknown, add: Add): void {
  if (typeof value !== 'object' || Array.isArray(value) || value === null) {
    add([], 'must be a mapping with `sources` (and optionally `defaults`)');
    return;
  }
  const v = value as Record<string, unknown>;
  for (const k of Object.keys(v)) {
    if (k !== 'sources' && k !== 'defaults') add([k], `unknown field ${JSON.stringify(k)}${suggest(k, ['sources', 'defaults'])}`);
  }
  if (!('sources' in v)) add([], 'missing field "sources" (a list, may be empty)');
  else if (!Array.isArray(v.sources)) add(['sources'], 'must be a list of sources');
  else v.sources.forEach((s, i) => schemaErrors(oneSource, SourceSchema, s, ['sources', i], add));
  if ('defaults' in v) schemaErrors(someOptions, SourceOptionsSchema, v.defaults, ['defaults'], add);
}

interface TbError {
  instancePath: string;
  schemaPath: string;
  message: string;
  params?: Record<string, any>;
}

function schemaErrors(validator: { Check(v: unknown): boolean; Errors(v: unknown): unknown[] }, schema: object, value: unknown, at: (string | number)[], add: Add): void {
  if (validator.Check(value)) return;
  const seen = new Set<string>();
  for (const raw of validator.Errors(value) as TbError[]) {
    if (raw.message === 'schema is false') continue;
    const segments = [...at, ...pointerSegments(value, raw.instancePath)];
    const params = raw.params ?? {};
    if (params.additionalProperties) {
      const node = schemaAt(schema, raw.schemaPath);
      const known = node && typeof node === 'object' && 'properties' in node ? Object.keys((node as any).properties) : [];
      for (const k of params.additionalProperties as string[]) {
        add([...segments, k], `unknown field ${JSON.stringify(k)}${suggest(k, known)}${known.length ? `; known fields: ${known.join(', ')}` : ''}`);
      }
      continue;
    }
    const key = pathText(segments);
    if (seen.has(key)) continue; // a union reports once per alternative; one line says it
    seen.add(key);
    if (params.requiredProperties) {
      add(segments, `missing field ${(params.requiredProperties as string[]).map((p) => JSON.stringify(p)).join(', ')}`);
      continue;
    }
    const anyOf = raw.schemaPath.lastIndexOf('/anyOf/');
    if (anyOf >= 0) {
      const alternatives = schemaAt(schema, raw.schemaPath.slice(0, anyOf + 6)) as { const?: unknown }[] | undefined;
      const values = Array.isArray(alternatives) ? alternatives.filter((a) => a && 'const' in a).map((a) => JSON.stringify(a.const)) : [];
      if (values.length > 0) {
        add(segments, `must be one of ${values.join(', ')}, got ${JSON.stringify(valueAt(value, raw.instancePath))}`);
        continue;
      }
    }
    add(segments, `${raw.message}, got ${JSON.stringify(valueAt(value, raw.instancePath))}`);
  }
}

// Runs on a file that may also have failed the schema, so it looks only at fields of the
// right type: the schema problems already cover the rest, and both are reported in one run.
function meaningProblems(value: unknown, add: Add): void {
  const config = value as { defaults?: unknown; sources?: unknown };
  const zone = (options: unknown, at: (string | number)[]) => {
    const tz = (options as SourceOptions | undefined)?.timezone;
    if (typeof tz === 'string' && !zoneByName(tz)) {
      add([...at, 'timezone'], `unknown time zone ${JSON.stringify(tz)} (use an IANA name such as Europe/Copenhagen or UTC)`);
    }
  };
  zone(config.defaults, ['defaults']);
  if (!Array.isArray(config.sources)) return;
  const names = new Map<string, number>();
  config.sources.forEach((raw: unknown, i) => {
    if (raw === null || typeof raw !== 'object') return;
    const s = raw as Partial<Source>;
    if (typeof s.name === 'string') {
      const first = names.get(s.name);
      if (first !== undefined) add(['sources', i, 'name'], `${JSON.stringify(s.name)} is already the name of sources[${first}]`);
      else names.set(s.name, i);
    }
    if (typeof s.format === 'string' && s.format !== '' && !isFormatName(s.format)) {
      add(['sources', i, 'format'], `unknown format ${JSON.stringify(s.format)}; valid formats: ${formatNames.join(', ')}`);
    }
    if (s.match && typeof s.match === 'object' && s.match.host === undefined && s.match.path === undefined) {
      add(['sources', i, 'match'], 'match needs host or path (or leave match out)');
    }
    zone(s.options, ['sources', i, 'options']);
    if (typeof s.format === 'string' && isFormatName(s.format)) {
      const tz = (s.options as SourceOptions | undefined)?.timezone ?? (config.defaults as SourceOptions | undefined)?.timezone;
      const problem = zoneRequirement(s.format, { timezone: typeof tz === 'string' ? tz : undefined });
      if (problem !== null) add(['sources', i, 'format'], problem);
    }
  });
}

// A digit segment is a list index only inside a list: `vrfMap: { "0": … }` has a key "0".
function pointerSegments(value: unknown, pointer: string): (string | number)[] {
  let v: any = value;
  return pointer.split('/').slice(1).map((raw) => {
    const s = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const segment = Array.isArray(v) && /^\d+$/.test(s) ? Number(s) : s;
    v = v?.[s];
    return segment;
  });
}

function pathText(segments: (string | number)[]): string {
  let out = '';
  for (const s of segments) out += typeof s === 'number' ? `[${s}]` : out === '' ? s : `.${s}`;
  return out;
}

function valueAt(value: unknown, pointer: string): unknown {
  let v: any = value;
  for (const s of pointer.split('/').slice(1)) v = v?.[s.replace(/~1/g, '/').replace(/~0/g, '~')];
  return v;
}

function schemaAt(schema: object, schemaPath: string): unknown {
  let node: any = schema;
  for (const s of schemaPath.replace(/^#\/?/, '').split('/')) {
    if (s === '') continue;
    node = node?.[s];
  }
  return node;
}

// The line of the deepest part of the path that exists in the file: the key of a mapping
// entry (so an unknown field points at itself), or the item of a list.
function position(doc: Document, lc: LineCounter, segments: (string | number)[]): { line?: number; column?: number } {
  let node: unknown = doc.contents;
  let offset: number | undefined = (node as { range?: number[] } | null)?.range?.[0];
  for (const s of segments) {
    if (isMap(node)) {
      const pair = node.items.find((p) => String((p.key as { value?: unknown } | null)?.value ?? p.key) === String(s));
      if (!pair) break;
      offset = (pair.key as { range?: number[] } | null)?.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof s === 'number' && s < node.items.length) {
      node = node.items[s];
      offset = (node as { range?: number[] } | null)?.range?.[0] ?? offset;
    } else {
      break;
    }
  }
  if (offset === undefined) return {};
  const p = lc.linePos(offset);
  return { line: p.line, column: p.col };
}

function suggest(word: string, known: readonly string[]): string {
  let best = '';
  let bestDistance = Infinity;
  for (const k of known) {
    const d = distance(word.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 4)) ? ` (did you mean ${JSON.stringify(best)}?)` : '';
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/**
 * Why a collector that reads unconfigured hosts with `auto` (their messages matched no
 * source) cannot start: such a host gets only `defaults`, and without `defaults.timezone` the
 * zone-less times of whatever format `auto` finds would have no zone. Null when it can.
 */
export function autoHostsZoneProblem(config: SourceConfig | null): string | null {
  if (config?.defaults?.timezone !== undefined) return null;
  return 'hosts that match no configured source are read with auto and get only defaults, and defaults set no timezone: set defaults.timezone (the zone of those devices\' clocks, or UTC), or refuse unconfigured hosts';
}

/** What is known about an input: the source's configured name, the sending host, the file. */
export interface SourceQuery {
  name?: string;
  host?: string;
  path?: string;
}

/**
 * The source an input belongs to: by name when given; otherwise the first source (in file
 * order) whose `match` fields are all given and all match. A source without `match` is only
 * found by name, so it cannot capture inputs meant for another.
 */
export function sourceFor(config: SourceConfig, q: SourceQuery): Source | undefined {
  if (q.name !== undefined) return config.sources.find((s) => s.name === q.name);
  return config.sources.find((s) => {
    const m = s.match;
    if (!m || (m.host === undefined && m.path === undefined)) return false;
    if (m.host !== undefined && (q.host === undefined || !hostMatches(m.host, q.host))) return false;
    if (m.path !== undefined && (q.path === undefined || !pathMatches(m.path, q.path))) return false;
    return true;
  });
}

/** The options for an input: the file's `defaults`, overridden field by field by its source's. */
export function optionsFor(config: SourceConfig, q: SourceQuery): SourceOptions {
  return { ...config.defaults, ...sourceFor(config, q)?.options };
}

function hostMatches(pattern: string, host: string): boolean {
  return globToRegExp(pattern.toLowerCase(), false).test(host.toLowerCase());
}

/** A glob with no `/` is matched against the file's base name, otherwise against its path (as given, or absolute). */
export function pathMatches(glob: string, path: string): boolean {
  const re = globToRegExp(glob, true);
  if (!glob.includes('/')) return re.test(basename(path));
  return re.test(path) || re.test(resolve(path));
}

/** `*` and `?` stay within a path segment, `**` crosses them, `{a,b}` is either, `[…]` a class. */
export function globToRegExp(glob: string, paths = true): RegExp {
  const notSep = paths ? '[^/]' : '.';
  let re = '';
  let inBraces = false;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += `${notSep}*`;
    } else if (c === '?') re += notSep;
    else if (c === '{') {
      inBraces = true;
      re += '(?:';
    } else if (c === '}' && inBraces) {
      inBraces = false;
      re += ')';
    } else if (c === ',' && inBraces) re += '|';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        const body = glob.slice(i + 1, close).replace(/\\/g, '\\\\');
        re += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = close;
      }
    } else re += /[.+^$()|\\\]{}]/.test(c) ? `\\${c}` : c;
  }
  return new RegExp(`^${re}${inBraces ? ')' : ''}$`);
}
