/**
 * The push switch: sends the page's snapshots to a collector's /ingest with
 * pushSnapshots. Off until asked, so the page makes no surprise requests.
 */
import { type Metrics, type Pusher, pushSnapshots } from 'omnimeter/browser';
import { $ } from '../dom.js';

const DEFAULT_COLLECTOR = 'http://127.0.0.1:9464/ingest?source=browser-demo'; // npm start's

export function pushPanel(metrics: Metrics): void {
  const toggle = $<HTMLInputElement>('push');
  const url = $<HTMLInputElement>('push-url');
  const status = $('push-status');
  url.value = new URLSearchParams(location.search).get('collector') ?? DEFAULT_COLLECTOR;
  let pusher: Pusher | undefined;
  toggle.addEventListener('change', () => {
    pusher?.stop(); // a final beacon
    pusher = undefined;
    status.className = 'status';
    status.textContent = toggle.checked ? 'Pushing…' : 'Off.';
    if (toggle.checked) pusher = pushSnapshots(metrics, { url: url.value, intervalMs: 2000 });
  });
  setInterval(() => {
    if (!pusher) return;
    status.className = pusher.failures ? 'status error' : 'status ok';
    status.textContent = `${pusher.delivered} delivered, ${pusher.failures} failed${pusher.failures ? ' (is the collector running, and does it list this origin?)' : ''}.`;
  }, 1000);
}
