import Type from 'typebox';

export const ErrorSchema = Type.Object(
  {
    statusCode: Type.Integer(),
    error: Type.String(),
    message: Type.String({ description: 'what was wrong, where, and what to do' }),
  },
  { $id: 'Error' },
);

export const IngestResultSchema = Type.Object(
  {
    accepted: Type.Integer({ description: 'events stored; Redis had taken them when this answer was sent' }),
    rejected: Type.Array(Type.Object({ line: Type.Integer({ description: '1-based line (NDJSON) or array position + 1' }), reason: Type.String() })),
  },
  { $id: 'IngestResult' },
);
