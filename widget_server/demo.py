"""`widget-server demo`: a newcomer's first run, with a meeting page on a second origin.

The demo organisation, notice and call are made once and remembered in the instance folder
(demo.json, readable by its owner only), so running the demo again shows the same call.
"""

import json
import os
import threading
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from flask import Flask

from widget_server.services import calls, notices, organisations

DEMO_NOTICE: dict[str, Any] = {
    "name": "Lecture capture",
    "controller": {"name": "Example University", "contact_email": "privacy@example.edu",
                   "address": "1 College Road, Example Town"},
    "dpo": {"name": "Data Protection Officer", "contact_email": "dpo@example.edu"},
    "supervisory_authority": {"name": "Example Data Protection Authority",
                              "url": "https://dpa.example.org"},
    "privacy_policy_url": "https://example.edu/privacy",
    "default_language": "en",
    "purposes": [
        {"key": "recording", "lawful_basis": "consent", "gates_recording": True,
         "data": [], "retention_days": 30, "processes": ["audio", "video"],
         "text": {
             "en": {"title": "Record this session",
                    "description": "Video and audio of the lecture, for students who missed it."},
             "de": {"title": "Diese Sitzung aufzeichnen",
                    "description": "Bild und Ton der Vorlesung, für alle, die sie verpasst haben."},
             "fr": {"title": "Enregistrer cette séance",
                    "description": "Vidéo et son du cours, pour les absents."},
             "es": {"title": "Grabar esta sesión",
                    "description": "Vídeo y audio de la clase, para quien no pudo asistir."},
             "nl": {"title": "Deze sessie opnemen",
                    "description": "Beeld en geluid van het college, voor wie het miste."}}},
        {"key": "notes_email", "lawful_basis": "consent", "data": ["email"], "retention_days": 7,
         "text": {
             "en": {"title": "Email me the notes", "description": "A summary after the call."},
             "de": {"title": "Notizen per E-Mail", "description": "Eine Zusammenfassung danach."},
             "fr": {"title": "Recevoir les notes par e-mail",
                    "description": "Un résumé après l'appel."},
             "es": {"title": "Enviarme las notas", "description": "Un resumen tras la llamada."},
             "nl": {"title": "Notities per e-mail", "description": "Een samenvatting achteraf."}}},
        {"key": "attendance", "lawful_basis": "legitimate_interests", "data": [],
         "retention_days": 365,
         "legitimate_interest": {
             "en": "Planning rooms for the number of people who attend.",
             "de": "Räume für die Zahl der Teilnehmenden planen.",
             "fr": "Prévoir des salles pour le nombre de participants.",
             "es": "Planificar aulas según el número de asistentes.",
             "nl": "Zalen plannen voor het aantal deelnemers."},
         "text": {
             "en": {"title": "Attendance count", "description": "How many people attended."},
             "de": {"title": "Teilnehmerzahl", "description": "Wie viele teilnahmen."},
             "fr": {"title": "Nombre de participants", "description": "Combien ont participé."},
             "es": {"title": "Número de asistentes", "description": "Cuántos asistieron."},
             "nl": {"title": "Aantal deelnemers", "description": "Hoeveel mensen er waren."}}},
        {"key": "service", "lawful_basis": "contract", "data": [], "retention_days": 30,
         "text": {
             "en": {"title": "Running the call", "description": "Needed to connect you."},
             "de": {"title": "Durchführung", "description": "Nötig, um Sie zu verbinden."},
             "fr": {"title": "Fonctionnement", "description": "Nécessaire pour vous connecter."},
             "es": {"title": "Funcionamiento", "description": "Necesario para conectarle."},
             "nl": {"title": "Werking", "description": "Nodig om u te verbinden."}}},
    ],
}

MEETING_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Demo meeting page</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font:16px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:46rem;padding:0 1rem;
color:#1b1f24}} .stage{{background:#111827;color:#fff;border-radius:12px;padding:2rem;
margin-bottom:1.5rem}} #state{{font-family:monospace;background:#f3f4f6;padding:.75rem;
border-radius:8px;white-space:pre-wrap}}</style></head>
<body><div class="stage"><h1>Lecture 1: Demo meeting</h1>
<p>This page stands for your meeting platform, on another origin than the consent server.</p>
</div>
{snippet}
<h2>What the meeting page is told</h2><p id="state">Nothing yet.</p>
<script>
window.addEventListener("message", function (event) {{
  if (event.origin !== "{server}" || !event.data || event.data.source !== "consent-widget") return;
  if (event.data.type !== "state") return;  // the widget's size and title are the loader's
  document.getElementById("state").textContent = JSON.stringify(event.data, null, 2);
}});
</script></body></html>
"""


def prepare(app: Flask, meeting_origin: str) -> dict[str, Any]:
    """The demo's organisation, notice and call: made on the first run, reused after."""
    path = Path(app.instance_path) / "demo.json"
    database = app.extensions["widget_db"]
    if path.exists():
        saved: dict[str, Any] = json.loads(path.read_text())
        with database.read_session() as session:
            view = calls.get_call(session, saved["organisation_id"], saved["call_id"])
        if view["status"] == "open" and meeting_origin in saved.get("origins", []):
            saved.update(calls.issue_tokens(app.config["SECRET_KEY"], saved["call_id"]))
            return saved
    origins = [meeting_origin]
    with database.session() as session:
        org_id, api_key = organisations.create_organisation(session, "Demo University", origins)
    with database.session() as session:
        notice = notices.publish_notice(session, org_id, DEMO_NOTICE)
    with database.session() as session:
        call = calls.open_call(session, org_id, app.config["SECRET_KEY"],
                               title="Lecture 1: Demo meeting", notice_id=notice["id"])
    saved = {"organisation_id": org_id, "api_key": api_key, "call_id": call["id"],
             "origins": origins}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(saved, handle)
    saved.update(widget_token=call["widget_token"], host_token=call["host_token"])
    return saved


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the stdlib handler would log client addresses."""


def serve_meeting_page(host: str, port: int, server_url: str, demo: dict[str, Any]) -> None:
    """The sample meeting page, on its own port (so its own origin), in a background thread."""
    snippet = (f'<script src="{server_url}/static/widget.js" data-call="{demo["call_id"]}" '
               f'data-widget-token="{demo["widget_token"]}" async></script>')
    page = MEETING_PAGE.format(snippet=snippet, server=server_url).encode()

    def meeting(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                  ("Cache-Control", "no-store")])
        return [page]

    httpd = make_server(host, port, meeting, handler_class=_QuietHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
