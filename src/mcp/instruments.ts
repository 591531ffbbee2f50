/**
 * The MCP instruments, created once per MeterProvider and side (client or
 * server) however many sessions record into them.
 */
import type { Counter, Histogram, MeterProvider, UpDownCounter } from '@opentelemetry/api';
import {
  MCP_DURATION_BUCKETS,
  MCP_INSTRUMENTATION_NAME,
  MCP_INSTRUMENTATION_VERSION,
  MCP_MESSAGE_SIZE_BUCKETS,
  METRIC,
} from './semconv.js';

/** Instruments of one side: `server` for what a peer asked of us, `client` for what we asked of a peer. */
export interface SideInstruments {
  readonly operationDuration: Histogram;
  readonly toolCalls: Counter;
  readonly activeRequests: UpDownCounter;
}

/** Instruments of one role (the process is an MCP server or an MCP client): sessions and transport. */
export interface RoleInstruments {
  readonly sessionDuration: Histogram;
  readonly activeSessions: UpDownCounter;
  readonly messageSize: Histogram;
  readonly transportErrors: Counter;
}

export interface McpInstruments {
  readonly server: SideInstruments & RoleInstruments;
  readonly client: SideInstruments & RoleInstruments;
}

const cache = new WeakMap<MeterProvider, McpInstruments>();

export function mcpInstruments(provider: MeterProvider): McpInstruments {
  let instruments = cache.get(provider);
  if (instruments) return instruments;
  const meter = provider.getMeter(MCP_INSTRUMENTATION_NAME, MCP_INSTRUMENTATION_VERSION);
  const duration = (name: string, description: string) =>
    meter.createHistogram(name, { description, unit: 's', advice: { explicitBucketBoundaries: [...MCP_DURATION_BUCKETS] } });
  const side = (s: 'server' | 'client'): SideInstruments & RoleInstruments => {
    const server = s === 'server';
    return {
      operationDuration: server
        ? duration(
            METRIC.serverOperationDuration,
            'MCP request or notification duration as observed on the receiver from the time it was received until the result or ack is sent.',
          )
        : duration(
            METRIC.clientOperationDuration,
            'The duration of the MCP request or notification as observed on the sender from the time it was sent until the response or ack is received.',
          ),
      sessionDuration: duration(
        server ? METRIC.serverSessionDuration : METRIC.clientSessionDuration,
        `The duration of the MCP session as observed on the MCP ${s}.`,
      ),
      toolCalls: meter.createCounter(server ? METRIC.serverToolCalls : METRIC.clientToolCalls, {
        description: server ? 'Tool calls handled, by tool and outcome.' : 'Tool calls made, by tool and outcome.',
        unit: '{call}',
      }),
      activeRequests: meter.createUpDownCounter(server ? METRIC.serverActiveRequests : METRIC.clientActiveRequests, {
        description: server ? 'Requests received and not yet answered.' : 'Requests sent and not yet answered.',
        unit: '{request}',
      }),
      activeSessions: meter.createUpDownCounter(server ? METRIC.serverActiveSessions : METRIC.clientActiveSessions, {
        description: `Open MCP sessions of this ${s}.`,
        unit: '{session}',
      }),
      messageSize: meter.createHistogram(server ? METRIC.serverMessageSize : METRIC.clientMessageSize, {
        description: 'Size of JSON-RPC messages (serialized JSON, UTF-8 bytes), by direction.',
        unit: 'By',
        advice: { explicitBucketBoundaries: [...MCP_MESSAGE_SIZE_BUCKETS] },
      }),
      transportErrors: meter.createCounter(server ? METRIC.serverTransportErrors : METRIC.clientTransportErrors, {
        description: 'Errors the transport reported (broken pipes, HTTP failures, unparsable messages).',
        unit: '{error}',
      }),
    };
  };
  instruments = { server: side('server'), client: side('client') };
  cache.set(provider, instruments);
  return instruments;
}
