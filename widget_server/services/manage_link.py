"""The manage link by email (CONTRACT §C): a participant asks for the link to their choices, to
use after the call; it is sent to the address they give, in their language.

The link carries the participant's secret in its fragment (`#key=…`), which browsers never send
to a server. The address is used to send this one message: it is not stored, not logged.
"""

from email.message import EmailMessage
from typing import Any

from sqlalchemy.orm import Session

from widget_server.domain.errors import NotFound
from widget_server.domain.models import Participant
from widget_server.services.live.notices import notice_of_call

# The email's words, in the widget's five languages ({notice}, {controller}, {link}).
TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "subject": "Your choices for “{notice}”",
        "body": ("You asked for this link in the consent form of “{notice}” ({controller}).\n\n"
                 "Open it to see what is held about you, change or withdraw your choices (also "
                 "after the call), download your data or have it erased:\n\n{link}\n\n"
                 "Keep this link to yourself: whoever has it can act as you. If you did not ask "
                 "for it, you can ignore this email.\n"),
    },
    "de": {
        "subject": "Ihre Entscheidungen zu „{notice}“",
        "body": ("Sie haben diesen Link im Einwilligungsformular von „{notice}“ ({controller}) "
                 "angefordert.\n\nÖffnen Sie ihn, um zu sehen, was über Sie gespeichert ist, Ihre "
                 "Entscheidungen zu ändern oder zu widerrufen (auch nach dem Anruf), Ihre Daten "
                 "herunterzuladen oder löschen zu lassen:\n\n{link}\n\n"
                 "Geben Sie diesen Link nicht weiter: Wer ihn hat, kann in Ihrem Namen handeln. "
                 "Wenn Sie ihn nicht angefordert haben, können Sie diese E-Mail ignorieren.\n"),
    },
    "fr": {
        "subject": "Vos choix pour « {notice} »",
        "body": ("Vous avez demandé ce lien dans le formulaire de consentement de « {notice} » "
                 "({controller}).\n\nOuvrez-le pour voir ce qui est conservé à votre sujet, "
                 "modifier ou retirer vos choix (aussi après l’appel), télécharger vos données "
                 "ou les faire effacer :\n\n{link}\n\n"
                 "Gardez ce lien pour vous : qui l’a peut agir en votre nom. Si vous ne l’avez "
                 "pas demandé, ignorez ce message.\n"),
    },
    "es": {
        "subject": "Sus elecciones para «{notice}»",
        "body": ("Ha pedido este enlace en el formulario de consentimiento de «{notice}» "
                 "({controller}).\n\nÁbralo para ver qué se conserva sobre usted, cambiar o "
                 "retirar sus elecciones (también después de la llamada), descargar sus datos "
                 "o hacer que se borren:\n\n{link}\n\n"
                 "No comparta este enlace: quien lo tenga puede actuar en su nombre. Si no lo "
                 "ha pedido, puede ignorar este mensaje.\n"),
    },
    "nl": {
        "subject": "Uw keuzes voor ‘{notice}’",
        "body": ("U hebt deze link aangevraagd in het toestemmingsformulier van ‘{notice}’ "
                 "({controller}).\n\nOpen hem om te zien wat er over u wordt bewaard, uw keuzes "
                 "te wijzigen of in te trekken (ook na het gesprek), uw gegevens te downloaden "
                 "of te laten wissen:\n\n{link}\n\n"
                 "Houd deze link voor uzelf: wie hem heeft, kan namens u handelen. Hebt u hem "
                 "niet aangevraagd, dan kunt u deze e-mail negeren.\n"),
    },
}


def manage_url(public_base: str, participant_id: str, secret: str) -> str:
    """The manage page of one participant, the secret in the fragment (never a query)."""
    return f"{public_base.rstrip('/')}/manage/{participant_id}#key={secret}"


def message(session: Session, participant_id: str, link: str) -> EmailMessage:
    """The email, in the participant's language (English where the widget has none)."""
    person = session.get(Participant, participant_id)
    if person is None:
        raise NotFound("No such participant.")
    notice: dict[str, Any] = notice_of_call(session, person.call_id).render(person.language)
    language = person.language.split("-")[0].lower()
    texts = TEXTS.get(language, TEXTS["en"])
    words = {"notice": notice.get("name") or "", "link": link,
             "controller": (notice.get("controller") or {}).get("name") or ""}
    email = EmailMessage()
    email["Subject"] = texts["subject"].format(**words)
    email["Content-Language"] = language if language in TEXTS else "en"
    email.set_content(texts["body"].format(**words))
    return email
