"""Room names and the host feed: what the edges use to tell live clients about commits."""

from widget_server.realtime.feed import HostFeed, host_room, participant_room, socketio

__all__ = ["HostFeed", "host_room", "participant_room", "socketio"]
