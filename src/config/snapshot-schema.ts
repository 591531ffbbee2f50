/** The JSON snapshot format as a zod schema: published as docs/snapshot.schema.json, used to validate pushed snapshots. */
import * as z from 'zod';
import { METRIC_NAME } from '../core/names.js';

const finiteOrNull = z.number().nullable();

export const SnapshotSeriesSchema = z.strictObject({
  labels: z.record(z.string(), z.string()).meta({ description: 'Label names and values, default labels included.' }),
  value: z.number().optional().meta({ description: 'Counter or gauge value.' }),
  count: z.number().min(0).optional().meta({ description: 'Histogram/summary: observations.' }),
  sum: z.number().optional().meta({ description: 'Histogram/summary: sum of observations.' }),
  bucketCounts: z
    .array(z.number().min(0))
    .optional()
    .meta({ description: 'Histogram: non-cumulative count per bucket, the +Inf bucket last.' }),
  quantileValues: z
    .array(finiteOrNull)
    .optional()
    .meta({ description: 'Summary: value per family quantile; null when the window is empty.' }),
  createdMs: z.number().optional().meta({ description: 'Series creation, milliseconds since the epoch.' }),
});

export const SnapshotFamilySchema = z.strictObject({
  name: z.string().regex(METRIC_NAME).meta({
    description:
      'Family name as written (Prometheus or OpenTelemetry style, e.g. "mcp.server.operation.duration"); counters without the _total suffix.',
  }),
  type: z.enum(['counter', 'gauge', 'histogram', 'summary']),
  help: z.string(),
  unit: z.string().meta({
    description: 'Unit as given: a Prometheus unit word that ends the name ("seconds") or a UCUM unit ("s", "By", "1"); "" for none.',
  }),
  buckets: z.array(z.number()).optional().meta({ description: 'Histogram upper bounds, ascending; +Inf implicit.' }),
  quantiles: z.array(z.number().min(0).max(1)).optional().meta({ description: 'Summary quantiles.' }),
  series: z.array(SnapshotSeriesSchema),
});

export const SnapshotSchema = z
  .strictObject({
    format: z.literal('omnimeter-snapshot'),
    version: z.literal(1),
    timestamp: z.string().meta({ description: 'Collection time, ISO 8601.' }),
    timeMs: z.number().meta({ description: 'Collection time, milliseconds since the epoch.' }),
    metrics: z.array(SnapshotFamilySchema),
  })
  .meta({ title: 'omnimeter snapshot', description: 'All metric families at one collection.' });
