"""The server's metrics (CONTRACT §F), in Prometheus' text format at /metrics when asked for
(WIDGET_SERVER_METRICS=1, or on its own port: WIDGET_SERVER_METRICS_PORT).

Counts and timings only: no label ever holds an id, a name or anything a client sent, so the
metrics cannot identify anyone and their number of series stays fixed.
"""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# One registry for the process (the app may be made more than once, in tests; its metrics not).
REGISTRY = CollectorRegistry(auto_describe=True)

DECISIONS = Counter("widget_decisions_committed", "Decisions recorded (committed to the ledger).",
                    registry=REGISTRY)
COMMANDS = Counter("widget_live_commands", "Live commands applied, by kind and outcome.",
                   ["kind", "outcome"], registry=REGISTRY)
BATCH_SIZE = Histogram("widget_commit_batch_size", "Live commands committed together.",
                       buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000), registry=REGISTRY)
COMMIT_SECONDS = Histogram("widget_commit_seconds", "Time to apply and commit one batch.",
                           buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2,
                                    5, 10), registry=REGISTRY)
FANOUT_SECONDS = Histogram("widget_host_fanout_seconds",
                           "Time from a batch's commit to its updates handed to the hosts.",
                           buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1),
                           registry=REGISTRY)
CONNECTIONS = Gauge("widget_connections", "Socket.IO connections admitted, by namespace.",
                    ["namespace"], registry=REGISTRY)
WEBHOOK_DELIVERIES = Counter("widget_webhook_deliveries", "Webhook delivery attempts, by outcome.",
                             ["outcome"], registry=REGISTRY)
PURGED_VALUES = Counter("widget_purged_values", "Personal values erased by retention runs.",
                        registry=REGISTRY)
PURGE_RUNS = Counter("widget_purge_runs", "Retention runs.", registry=REGISTRY)
