import Type from 'typebox';

/**
 * Answer schemas that fast-json-stringify serialises with a `typeof` test, not a validator:
 * an `anyOf` (what `Type.Union` and a nullable union make) has it run an ajv validator for each
 * branch of every value, which for a nullable allocation validated the whole allocation before
 * writing it. A type list (`type: ['string', 'null']`) and an `enum` say the same in JSON Schema
 * and OpenAPI 3.1.
 */

/** The plain JSON Schema of a TypeBox schema, without its `$id` (it is inlined where used). */
function plain(t: Type.TSchema): Record<string, unknown> {
  const { $id: _id, ...rest } = JSON.parse(JSON.stringify(t)) as Record<string, unknown>;
  return rest;
}

/** T or null, as a type list. T must have a single `type` (a string, an integer, an object ...). */
export function Nullable<T extends Type.TSchema>(t: T, options: Record<string, unknown> = {}): Type.TUnsafe<Type.Static<T> | null> {
  const s = plain(t);
  if (typeof s.type !== 'string') throw new Error(`Nullable needs a schema with one type (got ${JSON.stringify(s.type)})`);
  return Type.Unsafe<Type.Static<T> | null>({ ...s, ...options, type: [s.type, 'null'] } as unknown as Type.TSchema);
}

/** One of some strings, as an `enum`. */
export function StringEnum<const V extends readonly string[]>(values: V, options: Record<string, unknown> = {}): Type.TUnsafe<V[number]> {
  return Type.Unsafe<V[number]>({ type: 'string', enum: [...values], ...options } as unknown as Type.TSchema);
}
