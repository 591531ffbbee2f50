/**
 * The transport set's helpers, bound to one transport name (`http`, `tcp`,
 * `stdio`, `websocket`, ...): the label handles are resolved once, so each
 * call is a handle operation.
 */
import { type Clock, counterOf, gaugeOf, histogramOf, monotonicSeconds, type Outcome, type SetOptions } from './instruments.js';
import { TRANSPORT_SET as T } from './spec.js';

export interface TransportMetricsOptions extends SetOptions {
  /** The `transport.name` attribute. */
  readonly transport: string;
}

export interface TransportMetrics {
  readonly clock: Clock;
  /** A request arrived; call the returned function when its response went out. */
  request(): (outcome: Outcome) => void;
  /** A response whose duration was measured elsewhere. */
  response(seconds: number, outcome: Outcome): void;
  /** One message received: its size, and its bytes in the throughput. */
  received(bytes: number): void;
  /** One message sent: its size, and its bytes in the throughput. */
  transmitted(bytes: number): void;
  /** A message's size only, where the throughput is counted below the messages (sockets). */
  message(direction: 'receive' | 'transmit', bytes: number): void;
  /** Bytes moved without message boundaries (a raw stream): throughput only. */
  io(direction: 'receive' | 'transmit', bytes: number): void;
  /** A connection is open; `setupSeconds` when its establishment was timed. */
  connectionOpened(setupSeconds?: number): void;
  connectionClosed(teardownSeconds?: number): void;
  error(type: string): void;
}

export function transportMetrics(options: TransportMetricsOptions): TransportMetrics {
  const { metrics, transport } = options;
  const clock = options.clock ?? monotonicSeconds;
  const at = { 'transport.name': transport };
  const dir = (d: 'receive' | 'transmit') => ({ ...at, 'network.io.direction': d });
  const requests = counterOf(metrics, T.requests).labels(at);
  const responses = counterOf(metrics, T.responses);
  const durations = histogramOf(metrics, T.requestDuration);
  const outcomes = {
    success: { count: responses.labels({ ...at, outcome: 'success' }), time: durations.labels({ ...at, outcome: 'success' }) },
    error: { count: responses.labels({ ...at, outcome: 'error' }), time: durations.labels({ ...at, outcome: 'error' }) },
  };
  const size = histogramOf(metrics, T.messageSize);
  const io = counterOf(metrics, T.io);
  const flows = {
    receive: { size: size.labels(dir('receive')), io: io.labels(dir('receive')) },
    transmit: { size: size.labels(dir('transmit')), io: io.labels(dir('transmit')) },
  };
  const setup = histogramOf(metrics, T.connectionSetup).labels(at);
  const teardown = histogramOf(metrics, T.connectionTeardown).labels(at);
  const active = gaugeOf(metrics, T.connectionsActive).labels(at);
  const errors = counterOf(metrics, T.errors);
  const response = (seconds: number, outcome: Outcome) => {
    outcomes[outcome].count.inc();
    outcomes[outcome].time.observe(seconds);
  };
  return {
    clock,
    request() {
      requests.inc();
      const start = clock();
      let done = false;
      return (outcome) => {
        if (done) return; // a response is counted once, whichever path reports it first
        done = true;
        response(clock() - start, outcome);
      };
    },
    response,
    received(bytes) {
      flows.receive.size.observe(bytes);
      flows.receive.io.inc(bytes);
    },
    transmitted(bytes) {
      flows.transmit.size.observe(bytes);
      flows.transmit.io.inc(bytes);
    },
    message(direction, bytes) {
      flows[direction].size.observe(bytes);
    },
    io(direction, bytes) {
      if (bytes > 0) flows[direction].io.inc(bytes);
    },
    connectionOpened(setupSeconds) {
      active.inc();
      if (setupSeconds !== undefined) setup.observe(setupSeconds);
    },
    connectionClosed(teardownSeconds) {
      active.dec();
      if (teardownSeconds !== undefined) teardown.observe(teardownSeconds);
    },
    error(type) {
      errors.inc({ ...at, 'error.type': type });
    },
  };
}
