"""Presence kept true to the connections that really exist (issue: no "present" ghost).

A leave can be lost in ways no retry sees: a join committed after its client gave up waiting,
a process that restarted. So, on start, nobody is present; and every PRESENCE_CHECK seconds the
participants counted present are compared with this process's live connections; one found
without a connection twice in a row (so a join being acknowledged right now is not caught) is
marked away through the committer, with a `left` update for the hosts.

Several processes sharing a message queue do not know each other's connections: there the
check is off, and presence leases (sockets/lease.py) send away the participants of a process
that died.
"""

from flask import Flask

from widget_server import logs
from widget_server.realtime.committer import Committer
from widget_server.services import live
from widget_server.services.live.presence import away_commands, present_in_open_calls
from widget_server.sockets.base import CallNamespace


class PresenceCheck:
    def __init__(self, app: Flask, participants: CallNamespace, committer: Committer) -> None:
        self.app = app
        self.participants = participants
        self.committer = committer
        self._suspects: set[tuple[str, str]] = set()

    def reset(self) -> int:
        """After a start nobody is connected to this process: everyone present goes away."""
        with self.app.extensions["widget_db"].session() as session:
            commands = away_commands(session)
            applied = live.apply(session, commands)
        for call_id, updates in applied.updates.items():
            self.committer.feed.publish_many(call_id, updates)
        return len(commands)

    def check(self) -> int:
        """One comparison; returns how many ghosts were sent away."""
        with self.app.extensions["widget_db"].read_session() as session:
            counted = set(present_in_open_calls(session))
        connected = self.participants.connections.participants()
        missing = {key for key in counted if key[1] not in connected}
        ghosts = missing & self._suspects
        self._suspects = missing - ghosts
        for call_id, participant_id in ghosts:
            self.committer.submit_nowait(live.MarkAway(call_id, participant_id))
        if ghosts:
            logs.event("presence_repaired", participants=len(ghosts))
        return len(ghosts)
