// Checks the container files without a Docker engine (none on these machines):
//  - Dockerfile: every diagnostic of dockerfile-utils (the validator behind the VS Code Docker
//    extension), then the rules of our image, after hadolint's (DL3002 last user not root,
//    DL3007 no :latest base, DL3008 pinned apt packages, DL3009/DL3015 apt lists removed and no
//    recommends, DL3020 COPY not ADD, DL3025 JSON exec form, DL4006-style shell pipes avoided)
//    plus ours: multi-stage, production dependencies only, HEALTHCHECK, an init or signals.
//  - compose.yaml: parsed with `yaml`, validated with ajv against scripts/compose.schema.json
//    (the Compose Specification's subset we use), and cross-checked: Redis keeps an AOF on a
//    named volume, the service reaches it by REDIS_URL and waits for it to be healthy.
// Exit status 1 with one line per finding; 0 and a summary when clean.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { validate, ValidationSeverity } from 'dockerfile-utils';
import { parse } from 'yaml';

const require = createRequire(import.meta.url);
const Ajv = require('ajv');
const root = new URL('../', import.meta.url);
const read = (file) => readFileSync(new URL(file, root), 'utf8');
const findings = [];
const fail = (file, line, message) => findings.push(`${file}${line ? `:${line}` : ''}: ${message}`);

// ---------- Dockerfile ----------
export function lintDockerfile(text, file = 'Dockerfile') {
  const out = [];
  const E = ValidationSeverity.ERROR;
  const settings = {
    deprecatedMaintainer: E, directiveCasing: E, emptyContinuationLine: E, instructionCasing: E, instructionCmdMultiple: E,
    instructionEntrypointMultiple: E, instructionHealthcheckMultiple: E, instructionJSONInSingleQuotes: E, instructionWorkdirRelative: E,
  };
  for (const d of validate(text, settings)) out.push([d.range.start.line + 1, `${d.message} (dockerfile-utils ${d.code})`]);

  // instructions with their first line, continuation lines joined
  const instructions = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let body = lines[i];
    if (/^\s*(#|$)/.test(body)) continue;
    while (/\\\s*$/.test(body) && i + 1 < lines.length) body = body.replace(/\\\s*$/, ' ') + lines[++i].replace(/^\s*#.*$/, '');
    const m = /^\s*(\w+)\s+([\s\S]*)$/.exec(body);
    if (m) instructions.push({ line: start + 1, op: m[1].toUpperCase(), args: m[2].trim() });
  }
  const stages = [];
  for (const ins of instructions) {
    if (ins.op === 'FROM') stages.push({ from: ins, body: [] });
    else stages.at(-1)?.body.push(ins);
  }
  if (stages.length < 2) out.push([1, 'not multi-stage: build in one stage, copy only the result into the runtime stage']);
  const names = new Set();
  for (const { from } of stages) {
    const [image, as, name] = from.args.split(/\s+/);
    if (as?.toUpperCase() === 'AS') names.add(name);
    if (names.has(image)) continue;
    if (!image.includes(':') && !image.includes('@')) out.push([from.line, `base image ${image} has no tag (DL3006)`]);
    if (/:latest$/.test(image)) out.push([from.line, `base image ${image} uses :latest (DL3007)`]);
  }
  for (const ins of instructions) {
    if (ins.op === 'ADD') out.push([ins.line, 'use COPY, not ADD (DL3020)']);
    if (['ENTRYPOINT', 'CMD'].includes(ins.op) && !ins.args.startsWith('[')) out.push([ins.line, `${ins.op} in shell form: use the JSON exec form so signals reach the process (DL3025)`]);
    if (ins.op === 'RUN') {
      if (/\bapt-get\s+install\b/.test(ins.args)) {
        if (!/--no-install-recommends/.test(ins.args)) out.push([ins.line, 'apt-get install without --no-install-recommends (DL3015)']);
        if (!/rm -rf \/var\/lib\/apt\/lists/.test(ins.args)) out.push([ins.line, 'apt lists not removed in the same RUN (DL3009)']);
        if (!/-y\b|--yes\b|--assume-yes\b/.test(ins.args)) out.push([ins.line, 'apt-get install without -y (DL3014)']);
        const pkgs = ins.args.split(/\bapt-get\s+install\b/)[1].split(/&&|;/)[0].split(/\s+/).filter((w) => w && !w.startsWith('-'));
        for (const p of pkgs) if (!p.includes('=')) out.push([ins.line, `apt package ${p} is not pinned to a version (DL3008)`]);
      }
      if (/\bsudo\b/.test(ins.args)) out.push([ins.line, 'sudo in RUN (DL3004)']);
      if (/\bcurl\b[^|]*\|\s*(ba)?sh/.test(ins.args)) out.push([ins.line, 'curl piped to a shell']);
      if (/\bnpm install\b/.test(ins.args)) out.push([ins.line, 'npm install in a build: use npm ci (the lock file decides)']);
    }
  }
  const final = stages.at(-1);
  if (final) {
    const body = final.body;
    const users = body.filter((i) => i.op === 'USER');
    const last = users.at(-1);
    if (!last) out.push([final.from.line, 'runtime stage runs as root: add USER (DL3002)']);
    else if (/^(root|0)(:|$)/.test(last.args)) out.push([last.line, 'last USER is root (DL3002)']);
    if (!body.some((i) => i.op === 'HEALTHCHECK' && !/^NONE\b/i.test(i.args))) out.push([final.from.line, 'runtime stage has no HEALTHCHECK']);
    const entry = [...body].reverse().find((i) => i.op === 'ENTRYPOINT');
    if (!entry) out.push([final.from.line, 'runtime stage has no ENTRYPOINT']);
    else if (!/tini|dumb-init/.test(entry.args) && !/handles SIGTERM/i.test(text)) out.push([entry.line, 'no init (tini) as PID 1 and no note that the process handles SIGTERM itself']);
    // production dependencies only: node_modules must come from a stage that omitted dev dependencies
    const copiesModules = body.filter((i) => i.op === 'COPY' && /node_modules/.test(i.args));
    for (const c of copiesModules) {
      const from = /--from=(\S+)/.exec(c.args)?.[1];
      const stage = stages.find((s) => s.from.args.split(/\s+/)[2] === from);
      const omits = stage?.body.some((i) => i.op === 'RUN' && /npm (ci|install)[^&]*--omit=dev|npm prune[^&]*--omit=dev|--production\b/.test(i.args));
      if (!omits) out.push([c.line, `node_modules copied from stage ${from ?? '(context)'}, which does not omit dev dependencies`]);
    }
    if (body.some((i) => i.op === 'RUN' && /\bnpm ci\b(?![^&]*--omit=dev)/.test(i.args))) out.push([final.from.line, 'runtime stage installs with dev dependencies']);
  }
  return out.map(([line, message]) => ({ file, line, message }));
}

// ---------- compose.yaml ----------
export function lintCompose(text, schema, file = 'compose.yaml') {
  const out = [];
  let doc;
  try {
    doc = parse(text, { strict: true, uniqueKeys: true });
  } catch (err) {
    return [{ file, line: err.linePos?.[0]?.line, message: `not valid YAML: ${err.message.split('\n')[0]}` }];
  }
  const ajv = new Ajv({ allErrors: true, strict: false });
  const check = ajv.compile(schema);
  if (!check(doc)) for (const e of check.errors) out.push({ file, message: `${e.instancePath || '/'} ${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ''}` });
  if (out.length > 0) return out;
  const services = doc.services ?? {};
  const redis = Object.entries(services).find(([, s]) => /^redis(:|$)/.test(s.image ?? ''));
  const app = Object.entries(services).find(([, s]) => s.build);
  if (!redis) out.push({ file, message: 'no Redis service' });
  if (!app) out.push({ file, message: 'no service built from the Dockerfile' });
  if (redis) {
    const [name, r] = redis;
    const cmd = Array.isArray(r.command) ? r.command.join(' ') : String(r.command ?? '');
    if (!/--appendonly\s+"?yes"?/.test(cmd)) out.push({ file, message: `${name}: append-only file is not on (--appendonly yes)` });
    const dataVolume = (r.volumes ?? []).map((v) => (typeof v === 'string' ? v.split(':') : [v.source, v.target])).find(([, target]) => target === '/data');
    if (!dataVolume) out.push({ file, message: `${name}: /data (where the AOF is written) is not on a volume` });
    else if (!(dataVolume[0] in (doc.volumes ?? {}))) out.push({ file, message: `${name}: volume ${dataVolume[0]} is not a named volume declared under volumes:` });
    if (!r.healthcheck) out.push({ file, message: `${name}: no healthcheck` });
  }
  if (app && redis) {
    const [name, s] = app;
    const env = Array.isArray(s.environment) ? Object.fromEntries(s.environment.map((kv) => kv.split(/=(.*)/s))) : (s.environment ?? {});
    const url = env.REDIS_URL ?? '';
    if (!url && !env.REDIS_CLUSTER_NODES) out.push({ file, message: `${name}: neither REDIS_URL nor REDIS_CLUSTER_NODES is set` });
    else if (url && new URL(url).hostname !== redis[0]) out.push({ file, message: `${name}: REDIS_URL ${url} does not name the service ${redis[0]}` });
    const dep = Array.isArray(s.depends_on) ? null : s.depends_on?.[redis[0]];
    if (dep?.condition !== 'service_healthy') out.push({ file, message: `${name}: does not wait for ${redis[0]} to be healthy (depends_on condition: service_healthy)` });
    if (!s.healthcheck) out.push({ file, message: `${name}: no healthcheck` });
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const f of lintDockerfile(read('Dockerfile'))) fail(f.file, f.line, f.message);
  for (const f of lintCompose(read('compose.yaml'), JSON.parse(read('scripts/compose.schema.json')))) fail(f.file, f.line, f.message);
  if (findings.length > 0) {
    process.stderr.write(`${findings.join('\n')}\n`);
    process.exit(1);
  }
  process.stdout.write('Dockerfile and compose.yaml: no findings\n');
}
