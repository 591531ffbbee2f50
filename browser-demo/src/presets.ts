/**
 * Exporter choices offered by the selector: ordinary omnimeter
 * configurations (the same schema as omnimeter.config.yaml), editable in the
 * page before they are applied.
 */
export const PRESETS: Record<string, object> = {
  'OpenMetrics + console (logfmt)': {
    enabled: true,
    collectionInterval: '2s',
    exporters: [
      { type: 'prometheus', format: 'openmetrics' },
      { type: 'console', format: 'logfmt' },
    ],
  },
  'Prometheus text 0.0.4': { enabled: true, exporters: [{ type: 'prometheus', format: 'prometheus' }] },
  'console (table)': { enabled: true, collectionInterval: '2s', exporters: [{ type: 'console', format: 'table' }] },
  'console (JSON lines)': { enabled: true, collectionInterval: '2s', exporters: [{ type: 'console', format: 'json' }] },
  'OTLP/JSON to 127.0.0.1:4318': {
    enabled: true,
    collectionInterval: '5s',
    exporters: [
      { type: 'prometheus', format: 'openmetrics' },
      { type: 'otlp', endpoint: 'http://127.0.0.1:4318/v1/metrics', encoding: 'json', resource: { 'service.name': 'browser-demo' } },
    ],
  },
};

export const DEFAULT_PRESET = 'OpenMetrics + console (logfmt)';
