"""The /participant namespace: the widget reads the notice, joins, decides, and leaves by
disconnecting (CONTRACT: Namespace /participant, and §A)."""

from dataclasses import replace
from typing import Any

from widget_server import logs
from widget_server.domain.errors import (
    AlreadyJoined,
    MailUnavailable,
    NotJoined,
    RateLimited,
)
from widget_server.domain.notice import choose_language, languages_of
from widget_server.domain.tokens import WIDGET
from widget_server.realtime import participant_room
from widget_server.services import live, manage_link, receipts, roster
from widget_server.services.live.notices import notice_of_call
from widget_server.services.mail import Mailer
from widget_server.sockets import payloads
from widget_server.sockets.base import CallNamespace
from widget_server.sockets.connections import Connection
from widget_server.sockets.mail_budget import ManageLinkBudget


class ParticipantNamespace(CallNamespace):
    role = WIDGET

    def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        connection = self.admit(sid, auth)
        self.enter_room(sid, participant_room(connection.call_id))

    def on_notice(self, sid: str, data: Any = None) -> dict[str, Any]:
        """Sent by the widget before joining: the notice in the wanted language, the languages
        it has, and the fields a join asks for. Stores nothing."""
        return self.guarded(sid, data if data is not None else {}, self._notice)

    def on_join(self, sid: str, data: Any = None) -> dict[str, Any]:
        """Sent by the widget once the notice was shown. Acknowledged after the commit with
        the participant (id, resume secret), the notice, the states and the fields held; the
        hosts get a `joined` update first."""
        return self.guarded(sid, data, self._join)

    def on_decide(self, sid: str, data: Any = None) -> dict[str, Any]:
        """Sent by the widget for each choice. Acknowledged after the commit with the states,
        the fields held and the receipt; the hosts get a `decision` update first."""
        return self.guarded(sid, data, self._decide)

    def on_receipt(self, sid: str, data: Any = None) -> dict[str, Any]:
        """Sent by the widget to keep proof of a decision: the signed receipt (a compact JWS)
        of one of this participant's receipts, made now (signing stays off the decide path)."""
        return self.guarded(sid, data, lambda c, d: self._receipt(c, d, sid))

    def on_send_manage_link(self, sid: str, data: Any = None) -> dict[str, Any]:
        """Sent by the widget when the participant asks for the manage link by email, to use
        after the call. Acknowledged once the mail server took the message (or with why not)."""
        return self.guarded(sid, data, lambda c, d: self._send_manage_link(c, d, sid))

    def on_disconnect(self, sid: str, reason: Any = None) -> None:
        """Leaving is not withdrawing: presence only. Handed in without waiting: the committer
        retries a leave until it is stored."""
        connection = self.connections.pop(sid)
        if connection is None or connection.participant_id is None:
            return
        self.committer.submit_nowait(live.Leave(connection.call_id, connection.participant_id))
        logs.event("left", call=connection.call_id, participant=connection.participant_id)

    def drop_participants(self) -> int:
        """Close every joined connection (this process's lease was lost and its participants
        marked away): their clients reconnect and join again. Returns how many."""
        sids = self.connections.joined()
        for sid in sids:
            self.server.disconnect(sid, namespace=self.namespace)
        return len(sids)

    def _notice(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        with self.database.read_session() as session:
            info = notice_of_call(session, connection.call_id)
            # Once joined (after a notice_changed, say): the participant's own states and
            # the fields held, so the widget asks again from the server's facts.
            own = (roster.own_state(session, connection.participant_id)
                   if connection.participant_id is not None else {})
        language = choose_language(info.content, payloads.language_of(data))
        return {"notice": info.render(language), "languages": languages_of(info.content),
                "join_fields": info.join_fields,
                "manage_by_email": self.app.extensions.get("widget_mailer") is not None, **own}

    def _join(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        if connection.participant_id is not None:
            raise AlreadyJoined("This connection has joined already.")
        command = replace(payloads.join_command(connection.call_id, connection.resume, data),
                          process=self.app.extensions["widget_lease"].process)
        result = self.committer.submit(command)
        connection.participant_id = result["participant"]["id"]
        connection.resume = result["participant"]["resume"]
        logs.event("joined", call=connection.call_id, participant=connection.participant_id)
        return result

    def _receipt(self, connection: Connection, data: dict[str, Any], sid: str
                 ) -> dict[str, Any]:
        if connection.participant_id is None:
            raise NotJoined("Join the call before asking for a receipt.")
        receipt_id = payloads.receipt_id(data)
        ring = self.app.extensions["widget_keys"].ring()
        with self.database.read_session() as session:
            jws = receipts.signed_receipt(session, ring, connection.participant_id, receipt_id,
                                          self._public_base(sid))
        return {"jws": jws}

    def _send_manage_link(self, connection: Connection, data: dict[str, Any], sid: str
                          ) -> dict[str, Any]:
        if connection.participant_id is None or connection.resume is None:
            raise NotJoined("Join the call before asking for the link.")
        mailer: Mailer | None = self.app.extensions.get("widget_mailer")
        if mailer is None:
            raise MailUnavailable("This server does not send email. Keep the link of your "
                                  "receipt instead.")
        address = payloads.email_address(data)
        budget: ManageLinkBudget = self.app.extensions["widget_manage_link_budget"]
        if not budget.allows(connection.participant_id):
            raise RateLimited(f"At most {budget.per_hour} links an hour can be sent; please "
                              f"try again later.")
        link = manage_link.manage_url(self._public_base(sid), connection.participant_id,
                                      connection.resume)
        with self.database.read_session() as session:
            email = manage_link.message(session, connection.participant_id, link)
        mailer.send(email, address)
        budget.spend(connection.participant_id)
        logs.event("manage_link_sent", call=connection.call_id,
                   participant=connection.participant_id)
        return {"sent": True}

    def _public_base(self, sid: str) -> str:
        """PUBLIC_URL, else the base the browser reached this server at (README: set
        PUBLIC_URL in production, so that no Host header chooses what a receipt links to)."""
        configured = self.app.config.get("PUBLIC_URL")
        if configured:
            return str(configured)
        environ = self.server.get_environ(sid, namespace=self.namespace) or {}
        return f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"

    def _decide(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        if connection.participant_id is None:
            raise NotJoined("Join the call before deciding.")
        result = self.committer.submit(payloads.decide_command(
            connection.call_id, connection.participant_id, data))
        # The ledger is the record of decisions; the log keeps them out of the hot path.
        logs.debug("decided", call=connection.call_id, participant=connection.participant_id,
                   seq=result["receipt"]["seq"])
        return result
