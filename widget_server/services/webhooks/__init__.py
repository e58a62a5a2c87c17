"""Webhooks (CONTRACT §D): endpoints (endpoints.py), the outbox written with each change
(outbox.py), its delivery (delivery.py) and the address checks against SSRF (ssrf.py)."""

from dataclasses import dataclass

from widget_server.domain.webhooks import DEFAULT_BACKOFF, RETRY_WINDOW


@dataclass(frozen=True)
class Settings:
    """The server's webhook settings (README, Configuration), read at the edge."""

    allow_http_loopback: bool = False  # WIDGET_SERVER_ALLOW_HTTP_WEBHOOKS
    timeout: float = 10.0  # WIDGET_SERVER_WEBHOOK_TIMEOUT, seconds per attempt
    backoff: tuple[float, ...] = DEFAULT_BACKOFF  # WIDGET_SERVER_WEBHOOK_BACKOFF
    retry_window: float = RETRY_WINDOW  # WIDGET_SERVER_WEBHOOK_RETRY_WINDOW, seconds
    ca_file: str | None = None  # WIDGET_SERVER_WEBHOOK_CA_FILE: else the system's authorities

    @property
    def lease(self) -> float:
        """How long a sending process holds a row: an attempt's longest time, and a margin."""
        return 2 * self.timeout + 5.0
