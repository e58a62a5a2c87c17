"""The fixed phrases of the spoken notice, in the widget's five languages (static/i18n):
the notice's own texts (controller, purposes) are spoken in the caller's language, and these
phrases around them in the same one.

Placeholders are `{name}`; every language has every phrase with the same placeholders
(tests/api/test_phone_script.py).
"""

# The language attribute of TwiML's <Say> for each (a regional voice is needed there).
VOICES = {"en": "en-GB", "de": "de-DE", "fr": "fr-FR", "es": "es-ES", "nl": "nl-NL"}
LANGUAGES = tuple(VOICES)
FALLBACK = "en"

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "intro": "This is the privacy notice of {controller} for this call.",
        "purposes": "Your data is used for: {titles}.",
        "policy": "The full privacy notice is at {url}.",
        "continue": "Press 1 to continue, or star to hear this again.",
        "consent": "{title}. {description} Press 1 to accept, 2 to decline, or star to hear "
                   "this again.",
        "objection": "{title}. {description} This is done in our legitimate interest. Press 9 "
                     "to object, 1 to continue, or star to hear this again.",
        "recorded": "You chose: {choices}.",
        "change": "Press 0 to change your choices, or star to hear this again. Thank you.",
        "nothing": "There is nothing for you to choose.",
        "not_a_choice": "That key is not one of the choices.",
        "granted": "accepted", "denied": "declined", "withdrawn": "withdrawn",
        "pending": "not answered", "objected": "objected", "not_objected": "not objected",
    },
    "de": {
        "intro": "Dies ist der Datenschutzhinweis von {controller} für dieses Gespräch.",
        "purposes": "Ihre Daten werden verwendet für: {titles}.",
        "policy": "Den vollständigen Datenschutzhinweis finden Sie unter {url}.",
        "continue": "Drücken Sie 1, um fortzufahren, oder Stern, um dies erneut zu hören.",
        "consent": "{title}. {description} Drücken Sie 1, um zuzustimmen, 2, um abzulehnen, "
                   "oder Stern, um dies erneut zu hören.",
        "objection": "{title}. {description} Dies geschieht in unserem berechtigten "
                     "Interesse. Drücken Sie 9, um zu widersprechen, 1, um fortzufahren, "
                     "oder Stern, um dies erneut zu hören.",
        "recorded": "Ihre Wahl: {choices}.",
        "change": "Drücken Sie 0, um Ihre Wahl zu ändern, oder Stern, um dies erneut zu "
                  "hören. Vielen Dank.",
        "nothing": "Sie müssen nichts auswählen.",
        "not_a_choice": "Diese Taste ist keine der Möglichkeiten.",
        "granted": "zugestimmt", "denied": "abgelehnt", "withdrawn": "widerrufen",
        "pending": "nicht beantwortet", "objected": "widersprochen",
        "not_objected": "nicht widersprochen",
    },
    "fr": {
        "intro": "Voici l'information sur la protection des données de {controller} pour "
                 "cet appel.",
        "purposes": "Vos données sont utilisées pour : {titles}.",
        "policy": "L'information complète se trouve à l'adresse {url}.",
        "continue": "Appuyez sur 1 pour continuer, ou sur étoile pour réécouter.",
        "consent": "{title}. {description} Appuyez sur 1 pour accepter, sur 2 pour refuser, "
                   "ou sur étoile pour réécouter.",
        "objection": "{title}. {description} Ce traitement repose sur notre intérêt "
                     "légitime. Appuyez sur 9 pour vous y opposer, sur 1 pour continuer, ou "
                     "sur étoile pour réécouter.",
        "recorded": "Vos choix : {choices}.",
        "change": "Appuyez sur 0 pour modifier vos choix, ou sur étoile pour réécouter. "
                  "Merci.",
        "nothing": "Vous n'avez rien à choisir.",
        "not_a_choice": "Cette touche ne correspond à aucun choix.",
        "granted": "accepté", "denied": "refusé", "withdrawn": "retiré",
        "pending": "sans réponse", "objected": "opposition", "not_objected": "pas d'opposition",
    },
    "es": {
        "intro": "Este es el aviso de privacidad de {controller} para esta llamada.",
        "purposes": "Sus datos se usan para: {titles}.",
        "policy": "El aviso de privacidad completo está en {url}.",
        "continue": "Pulse 1 para continuar, o asterisco para volver a escucharlo.",
        "consent": "{title}. {description} Pulse 1 para aceptar, 2 para rechazar, o "
                   "asterisco para volver a escucharlo.",
        "objection": "{title}. {description} Se hace en nuestro interés legítimo. Pulse 9 "
                     "para oponerse, 1 para continuar, o asterisco para volver a escucharlo.",
        "recorded": "Su elección: {choices}.",
        "change": "Pulse 0 para cambiar su elección, o asterisco para volver a escucharlo. "
                  "Gracias.",
        "nothing": "No tiene nada que elegir.",
        "not_a_choice": "Esa tecla no es ninguna de las opciones.",
        "granted": "aceptado", "denied": "rechazado", "withdrawn": "retirado",
        "pending": "sin respuesta", "objected": "con oposición", "not_objected": "sin oposición",
    },
    "nl": {
        "intro": "Dit is de privacyverklaring van {controller} voor dit gesprek.",
        "purposes": "Uw gegevens worden gebruikt voor: {titles}.",
        "policy": "De volledige privacyverklaring staat op {url}.",
        "continue": "Druk op 1 om verder te gaan, of op sterretje om dit opnieuw te horen.",
        "consent": "{title}. {description} Druk op 1 om toe te stemmen, op 2 om te weigeren, "
                   "of op sterretje om dit opnieuw te horen.",
        "objection": "{title}. {description} Dit gebeurt op grond van ons gerechtvaardigd "
                     "belang. Druk op 9 om bezwaar te maken, op 1 om verder te gaan, of op "
                     "sterretje om dit opnieuw te horen.",
        "recorded": "Uw keuze: {choices}.",
        "change": "Druk op 0 om uw keuze te wijzigen, of op sterretje om dit opnieuw te "
                  "horen. Dank u.",
        "nothing": "U hoeft niets te kiezen.",
        "not_a_choice": "Die toets is geen van de keuzes.",
        "granted": "toegestemd", "denied": "geweigerd", "withdrawn": "ingetrokken",
        "pending": "niet beantwoord", "objected": "bezwaar gemaakt",
        "not_objected": "geen bezwaar",
    },
}


def phrase(language: str, key: str, **values: str) -> str:
    """One phrase in `language` (one of LANGUAGES), with its placeholders filled."""
    return PHRASES[language][key].format(**values)
