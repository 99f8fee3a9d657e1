import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { entryRecord, forwardRecord, recordedAnswer, reverseRecord, type NatConfigActor, type NatConfigRecord } from '../../natconfig/audit-entry.js';
import { instantOf, checkInstance } from '../../natconfig/input.js';
import { forwardAt, reverseAt } from '../../natconfig/lookup.js';
import type { VersionView } from '../../natconfig/versions.js';
import {
  NatConfigCreateSchema, NatConfigListQuerySchema, NatConfigListSchema, NatConfigParamsSchema, NatConfigVersionSchema, NatForwardAnswerSchema, NatForwardQuerySchema,
  NatReverseAnswerSchema, NatReverseQuerySchema,
} from '../../schemas/nat-configs.js';

const err = { $ref: 'Error#' };
const refused = { 401: err, 403: err };
const TAGS = ['nat-configs'];

const actor = (req: FastifyRequest, route: string): NatConfigActor => ({ user: req.principal!.name, tokenId: req.principal!.tokenId, client: req.ip, route });

const summary = ({ text: _text, rules: _rules, ...rest }: VersionView) => rest;

/**
 * The history of computed-NAT configurations (docs/deterministic-nat.md): entering a version,
 * reading the history, and forward / reverse through the versions in force at an instant so an
 * operator can compare with the device. Entries and forward / reverse are recorded in the access
 * log before the answer leaves (503 and nothing done or shown if they cannot be).
 */
const natConfigs: FastifyPluginAsyncTypebox = async (fastify) => {
  // the resolver's own copy (index-services): an entered version is seen by the next look-up
  const store = fastify.natConfigs;

  const append = (r: NatConfigRecord) => fastify.accessLog.append(r);

  fastify.post(
    '/v1/nat-configs',
    {
      config: { role: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Enter a version of a NAT configuration',
        description:
          'Reads the text with the named format and stores it as a new, immutable version. 409 names the version of the same instance whose claimed public space it overlaps in time; to replace that one from validFrom on, give its id as supersedes. Recorded in the access log (503 and no version if it cannot be).',
        body: NatConfigCreateSchema,
        security: [{ bearer: [] }],
        response: { 201: NatConfigVersionSchema, 400: err, ...refused, 404: err, 409: err, 413: err, 503: err },
      },
    },
    async (req, reply) => {
      const who = actor(req, 'POST /v1/nat-configs');
      const v = await store.enter(req.body, { user: who.user, record: (view) => fastify.accessLog.append(entryRecord(who, view)) });
      return reply.code(201).header('location', `/v1/nat-configs/${v.id}`).send(v);
    },
  );

  fastify.get(
    '/v1/nat-configs',
    {
      config: { role: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'List configuration versions in order of entry (without their text)',
        querystring: NatConfigListQuerySchema,
        security: [{ bearer: [] }],
        response: { 200: NatConfigListSchema, 400: err, ...refused },
      },
    },
    async (req) => {
      const instance = req.query.instance === undefined ? undefined : checkInstance(req.query.instance);
      const atMs = req.query.at === undefined ? undefined : instantOf(req.query.at, 'at');
      return { versions: (await store.list({ instance, atMs })).map(summary) };
    },
  );

  fastify.get(
    '/v1/nat-configs/forward',
    {
      config: { role: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'The public address and ports an inside address had under the versions of an instance in force at an instant',
        description: 'To compare with the device before trusting a configuration. 404 when no version of the instance is in force then, or none maps the inside address. Recorded in the access log.',
        querystring: NatForwardQuerySchema,
        security: [{ bearer: [] }],
        response: { 200: NatForwardAnswerSchema, 400: err, ...refused, 404: err, 503: err },
      },
    },
    async (req) => {
      const who = actor(req, 'GET /v1/nat-configs/forward');
      return recordedAnswer(() => forwardAt(store, req.query), (a) => forwardRecord(who, { ...req.query }, a), append);
    },
  );

  fastify.get(
    '/v1/nat-configs/reverse',
    {
      config: { role: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'The inside holder of a public address and port under every version claiming the address at an instant',
        description:
          'mapping null: the port belongs to no host under that version. conflict: more than one version claims the address then. 404 when no version claims it. Recorded in the access log.',
        querystring: NatReverseQuerySchema,
        security: [{ bearer: [] }],
        response: { 200: NatReverseAnswerSchema, 400: err, ...refused, 404: err, 503: err },
      },
    },
    async (req) => {
      const who = actor(req, 'GET /v1/nat-configs/reverse');
      return recordedAnswer(() => reverseAt(store, req.query), (a) => reverseRecord(who, { ...req.query }, a), append);
    },
  );

  fastify.get(
    '/v1/nat-configs/:id',
    {
      config: { role: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'One configuration version with its text and rules',
        params: NatConfigParamsSchema,
        security: [{ bearer: [] }],
        response: { 200: NatConfigVersionSchema, 400: err, ...refused, 404: err },
      },
    },
    async (req) => store.get(req.params.id),
  );
};

export default fp(natConfigs, { name: 'routes/nat-configs', dependencies: ['schemas', 'access', 'index-services'], encapsulate: true });
