"""Prometheus metrics: one registry for the process, served at /metrics.

Our names are prefixed `ughi_`; the standard `process_` and `python_` ones come too.
Labels never hold a person's data (no ids, no text), only small fixed sets.
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)

REGISTRY = CollectorRegistry(auto_describe=True)

UPDATES_HANDLED = Counter(
    "ughi_updates_handled",
    "Updates from people handled by the engine, by channel and outcome (ok, duplicate, error).",
    ["channel", "outcome"],
    registry=REGISTRY,
)
UPDATE_SECONDS = Histogram(
    "ughi_update_seconds",
    "Seconds from receiving an update to the reply being handed to the channel.",
    ["channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
SEARCH_DECISIONS = Counter(
    "ughi_search_decisions",
    "Answers to typed questions, by decision (answer, choices, none).",
    ["decision"],
    registry=REGISTRY,
)
LEADS_CREATED = Counter("ughi_leads_created", "Leads handed to counsellors.", registry=REGISTRY)
OUTBOX_LAG = Gauge(
    "ughi_outbox_lag_seconds",
    "Age in seconds of the oldest message waiting in the outbox (0 when it is empty).",
    registry=REGISTRY,
)
TELEGRAM_ERRORS = Counter(
    "ughi_telegram_errors",
    "Errors answered by the Telegram Bot API, by method and error code (429, 403, 400, 5xx, network).",
    ["method", "code"],
    registry=REGISTRY,
)
FLOOD_SLOWDOWNS = Counter(
    "ughi_flood_slowdowns", "Messages not handled because one person sent too many too fast.", registry=REGISTRY
)

# the process itself (memory, CPU, open files; Python's version and garbage collector), as every exporter has them
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)
