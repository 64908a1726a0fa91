"""A channel resolved once per send: its row and its backend, looked up once and handed to
``prepare`` (the recipient's address, whether text links are tracked) and ``send`` (the backend
that sends, the circuit breaker). ``Routes``: the enabled channels read once for a batch of sends."""
from __future__ import annotations

from datetime import datetime

from ..channels import ChannelBackend, PermanentChannelError, backend_class
from ..models import Channel


class Route:
    """The channel a message goes through, with its backend class (None: no backend of its kind)."""

    __slots__ = ("channel", "backend_class")

    def __init__(self, channel: Channel):
        self.channel = channel
        self.backend_class: type[ChannelBackend] | None = backend_class(channel.kind)  # the one lookup

    @property
    def backend(self) -> type[ChannelBackend]:
        """The backend class; a channel of a kind with no backend fails as ``channels.backend_for`` does."""
        if self.backend_class is None:
            raise PermanentChannelError(f"no channel backend for kind {self.channel.kind!r} (MASA['CHANNEL_BACKENDS'])")
        return self.backend_class

    def sender(self) -> ChannelBackend:
        return self.backend(self.channel)

    def circuit_open_until(self, now: datetime) -> datetime | None:
        """Until when due sends wait because the channel keeps failing (its circuit is open), or None."""
        until = self.channel.circuit_open_until
        return until if until and until > now else None

    def failing(self) -> str:
        return f"channel {self.channel.name!r} is failing ({self.channel.consecutive_failures} errors in a row)"


def route(name: str) -> Route | None:
    """The enabled channel with this name, else the first enabled channel of this kind."""
    return Routes().route(name)


class Routes:
    """The enabled channels, read in one query for a batch of sends; ``route`` answers as the
    function of that name does, one ``Route`` (one backend) per channel for the whole batch."""

    def __init__(self):
        self.channels = list(Channel.objects.filter(enabled=True).order_by("pk"))
        self._routes: dict[int, Route] = {}

    def route(self, name: str) -> Route | None:
        channel = next((c for c in self.channels if c.name == name), None) \
            or next((c for c in self.channels if c.kind == name), None)
        if channel is None:
            return None
        if channel.pk not in self._routes:
            self._routes[channel.pk] = Route(channel)
        return self._routes[channel.pk]

    def kind_of(self, name: str) -> str:
        """``consent.channel_kind`` from the rows read: the kind of the enabled channel so named, else the name."""
        return next((c.kind for c in self.channels if c.name == name), None) or str(name or "")
