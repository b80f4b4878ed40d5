import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Names kept from the seeds: existing dashboards query them. */
export function createIngressMetrics(registry: Registry = new Registry()) {
  return {
    registry,
    events: new Counter({
      name: 'webhook_events_total',
      help: 'Webhook requests by vendor and HTTP status',
      labelNames: ['source', 'status'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'webhook_process_duration_seconds',
      help: 'Time from request start to response, by vendor',
      labelNames: ['source'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    active: new Gauge({
      name: 'active_webhook_tasks',
      help: 'Webhook requests in flight: body complete, waiting for the Kafka ack',
      registers: [registry],
    }),
    inFlightBytes: new Gauge({
      name: 'ingress_in_flight_bytes',
      help: 'Body bytes of the webhook requests in flight (bounded by INGRESS_MAX_IN_FLIGHT_BYTES)',
      registers: [registry],
    }),
    producerErrors: new Counter({
      name: 'ingress_producer_errors_total',
      help: 'Requests answered 503 because Kafka did not acknowledge, by kind (timeout, breaker_open, send_failed)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    aborted: new Counter({
      name: 'ingress_requests_aborted_total',
      help: 'Requests whose client disconnected before the body was complete (not an error of ours)',
      registers: [registry],
    }),
    sourceLimited: new Counter({
      name: 'ingress_source_limit_refusals_total',
      help: 'Requests answered 429 because their source address already had INGRESS_MAX_CONNECTIONS_PER_SOURCE open',
      registers: [registry],
    }),
    producerReplacements: new Counter({
      name: 'ingress_producer_replacements_total',
      help: 'Idempotent producers replaced after a failed send, by the broker error (send_failed when it gave none)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'ingress_produce_batch_records',
      help: 'Records per produce request (coalesced concurrent webhooks)',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500],
      registers: [registry],
    }),
  };
}

export type IngressMetrics = ReturnType<typeof createIngressMetrics>;
