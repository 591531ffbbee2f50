/**
 * The exporter selector: a configuration in the user's schema (a preset,
 * editable), validated and applied with startPageExporters; console output
 * goes to the page's output pane.
 */
import type { Metrics } from 'omnimeter/browser';
import { type PageExporters, startPageExporters } from 'omnimeter/browser/exporters';
import { $ } from '../dom.js';
import { DEFAULT_PRESET, PRESETS } from '../presets.js';

const OUTPUT_LINES = 400;

export interface ExportersPanel {
  /** The format of the applied config's prometheus entry, else OpenMetrics. */
  readonly exposition: 'openmetrics' | 'prometheus';
  /** Applies the configuration in the editor; false when it was refused. */
  apply(): Promise<boolean>;
}

export function exportersPanel(metrics: Metrics, onApplied: () => void): ExportersPanel {
  const output = $('exporter-output');
  const lines: string[] = [];
  const write = (text: string) => {
    lines.push(...text.trimEnd().split('\n'));
    lines.splice(0, Math.max(0, lines.length - OUTPUT_LINES));
    output.textContent = lines.join('\n');
    output.scrollTop = output.scrollHeight;
  };
  const preset = $<HTMLSelectElement>('preset');
  const editor = $<HTMLTextAreaElement>('config');
  const status = $('config-status');
  const fail = (message: string) => {
    status.className = 'status error';
    status.textContent = message;
    return false;
  };
  let exporters: PageExporters | undefined;

  const apply = async (): Promise<boolean> => {
    let input: unknown;
    try {
      input = JSON.parse(editor.value);
    } catch (error) {
      return fail(`config: expected JSON (${(error as Error).message})`);
    }
    let next: PageExporters;
    try {
      next = startPageExporters(metrics, input, { write, warn: (message) => write(`! ${message}`) });
    } catch (error) {
      return fail((error as Error).message); // a ConfigError names each path and value
    }
    await exporters?.close(); // the previous exporters deliver a final collection first
    exporters = next;
    status.className = 'status ok';
    status.textContent = `Applied: ${next.size} push exporter${next.size === 1 ? '' : 's'}${next.exposition ? `, exposition ${next.exposition}` : ''}.`;
    onApplied();
    return true;
  };

  preset.innerHTML = Object.keys(PRESETS)
    .map((name) => `<option>${name}</option>`)
    .join('');
  preset.value = DEFAULT_PRESET;
  const showPreset = () => (editor.value = JSON.stringify(PRESETS[preset.value], null, 2));
  preset.addEventListener('change', () => (showPreset(), void apply()));
  $('apply').addEventListener('click', () => void apply());
  showPreset();
  return {
    get exposition() {
      return exporters?.exposition ?? 'openmetrics';
    },
    apply,
  };
}
