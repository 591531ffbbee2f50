/** The load controls: rate and malformed share sliders, pause/resume. */
import { $ } from '../dom.js';
import type { Workload } from '../workload.js';

export function loadPanel(workload: Workload): void {
  const rate = $<HTMLInputElement>('rate');
  const errors = $<HTMLInputElement>('errors');
  const show = () => {
    $('rate-value').textContent = `${workload.rate} calls/s`;
    $('errors-value').textContent = `${Math.round(workload.errorRatio * 100)}%`;
    $('toggle').textContent = workload.running ? 'Pause' : 'Resume';
  };
  rate.value = String(workload.rate);
  errors.value = String(workload.errorRatio);
  rate.addEventListener('input', () => ((workload.rate = Number(rate.value)), show()));
  errors.addEventListener('input', () => ((workload.errorRatio = Number(errors.value)), show()));
  $('toggle').addEventListener('click', () => ((workload.running = !workload.running), show()));
  show();
}
