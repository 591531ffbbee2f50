/**
 * The Zipkin v2 API's span schema as JSON Schema: the `ListOfSpans`, `Span`,
 * `Endpoint`, `Annotation` and `Tags` definitions of openzipkin/zipkin-api's
 * zipkin2-api.yaml (commit 069ec8d), the body of `POST /api/v2/spans`,
 * transcribed constraint for constraint (types, required fields, id lengths
 * and patterns, the kind enum, int64 microsecond timestamps, duration >= 1,
 * string-valued tags). Patterns are anchored here: the YAML's are meant as
 * whole-value patterns (Swagger), which JSON Schema's are not.
 */
const endpoint = {
  type: 'object',
  properties: {
    serviceName: { type: 'string' },
    ipv4: { type: 'string', format: 'ipv4' },
    ipv6: { type: 'string', format: 'ipv6' },
    port: { type: 'integer' },
  },
};

const span = {
  type: 'object',
  required: ['traceId', 'id'],
  properties: {
    traceId: { type: 'string', minLength: 16, maxLength: 32, pattern: '^[a-f0-9]{16,32}$' },
    name: { type: 'string' },
    parentId: { type: 'string', minLength: 16, maxLength: 16, pattern: '^[a-f0-9]{16}$' },
    id: { type: 'string', minLength: 16, maxLength: 16, pattern: '^[a-f0-9]{16}$' },
    kind: { type: 'string', enum: ['CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER'] },
    timestamp: { type: 'integer' },
    duration: { type: 'integer', minimum: 1 },
    debug: { type: 'boolean' },
    shared: { type: 'boolean' },
    localEndpoint: endpoint,
    remoteEndpoint: endpoint,
    annotations: {
      type: 'array',
      uniqueItems: true,
      items: {
        type: 'object',
        required: ['timestamp', 'value'],
        properties: { timestamp: { type: 'integer' }, value: { type: 'string' } },
      },
    },
    tags: { type: 'object', additionalProperties: { type: 'string' } },
  },
};

export const ZIPKIN_V2_SCHEMA = { type: 'array', items: span };
