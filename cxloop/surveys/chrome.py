"""The words of the survey page itself (buttons, yes/no, hints) in the respondent's language.

A survey's own texts come from its definition, in every language it declares; these are the few words around
them. Languages not listed here get English. Checks' error messages are English except the two a respondent
meets most (a required question left empty, an unticked consent box).
"""

from __future__ import annotations

REQUIRED = "This question needs an answer."
TICK = "Please tick the box to go on."

CHROME: dict[str, dict[str, str]] = {
    "en": {
        "next": "Next",
        "start": "Start",
        "send": "Send",
        "yes": "Yes",
        "no": "No",
        "other": "Other",
        "agree": "I agree",
        "progress": "Progress",
        "one_error": "One answer needs a look:",
        "n_errors": "{n} answers need a look:",
        "rank_hint": "Number them 1 (most important) to {n}.",
        "conditional": "Answer this only if it applies to your answer above.",
        "resume": "You can come back later: this page's address keeps your answers.",
        REQUIRED: REQUIRED,
        TICK: TICK,
    },
    "de": {
        "next": "Weiter",
        "start": "Los geht's",
        "send": "Senden",
        "yes": "Ja",
        "no": "Nein",
        "other": "Sonstiges",
        "agree": "Ich stimme zu",
        "progress": "Fortschritt",
        "one_error": "Eine Antwort braucht noch Ihre Aufmerksamkeit:",
        "n_errors": "{n} Antworten brauchen noch Ihre Aufmerksamkeit:",
        "rank_hint": "Nummerieren Sie von 1 (am wichtigsten) bis {n}.",
        "conditional": "Nur beantworten, wenn es zu Ihrer Antwort oben passt.",
        "resume": "Sie können später weitermachen: die Adresse dieser Seite behält Ihre Antworten.",
        REQUIRED: "Bitte beantworten Sie diese Frage.",
        TICK: "Bitte setzen Sie das Häkchen, um fortzufahren.",
    },
    "fr": {
        "next": "Suivant",
        "start": "Commencer",
        "send": "Envoyer",
        "yes": "Oui",
        "no": "Non",
        "other": "Autre",
        "agree": "J'accepte",
        "progress": "Progression",
        "one_error": "Une réponse est à revoir :",
        "n_errors": "{n} réponses sont à revoir :",
        "rank_hint": "Numérotez-les de 1 (le plus important) à {n}.",
        "conditional": "Répondez seulement si cela correspond à votre réponse ci-dessus.",
        "resume": "Vous pouvez revenir plus tard : l'adresse de cette page garde vos réponses.",
        REQUIRED: "Cette question attend une réponse.",
        TICK: "Cochez la case pour continuer.",
    },
    "es": {
        "next": "Siguiente",
        "start": "Empezar",
        "send": "Enviar",
        "yes": "Sí",
        "no": "No",
        "other": "Otro",
        "agree": "Acepto",
        "progress": "Progreso",
        "one_error": "Una respuesta necesita revisión:",
        "n_errors": "{n} respuestas necesitan revisión:",
        "rank_hint": "Numérelas del 1 (lo más importante) al {n}.",
        "conditional": "Responda solo si corresponde a su respuesta anterior.",
        "resume": "Puede volver más tarde: la dirección de esta página guarda sus respuestas.",
        REQUIRED: "Esta pregunta necesita una respuesta.",
        TICK: "Marque la casilla para continuar.",
    },
    "it": {
        "next": "Avanti",
        "start": "Inizia",
        "send": "Invia",
        "yes": "Sì",
        "no": "No",
        "other": "Altro",
        "agree": "Accetto",
        "progress": "Avanzamento",
        "one_error": "Una risposta va rivista:",
        "n_errors": "{n} risposte vanno riviste:",
        "rank_hint": "Numerale da 1 (la più importante) a {n}.",
        "conditional": "Rispondi solo se riguarda la tua risposta sopra.",
        "resume": "Puoi tornare più tardi: l'indirizzo di questa pagina conserva le tue risposte.",
        REQUIRED: "Questa domanda richiede una risposta.",
        TICK: "Spunta la casella per continuare.",
    },
    "nl": {
        "next": "Volgende",
        "start": "Beginnen",
        "send": "Versturen",
        "yes": "Ja",
        "no": "Nee",
        "other": "Anders",
        "agree": "Ik ga akkoord",
        "progress": "Voortgang",
        "one_error": "Eén antwoord vraagt aandacht:",
        "n_errors": "{n} antwoorden vragen aandacht:",
        "rank_hint": "Nummer ze van 1 (het belangrijkst) tot {n}.",
        "conditional": "Beantwoord dit alleen als het bij uw antwoord hierboven past.",
        "resume": "U kunt later verdergaan: het adres van deze pagina bewaart uw antwoorden.",
        REQUIRED: "Deze vraag heeft een antwoord nodig.",
        TICK: "Vink het vakje aan om verder te gaan.",
    },
    "pt": {
        "next": "Seguinte",
        "start": "Começar",
        "send": "Enviar",
        "yes": "Sim",
        "no": "Não",
        "other": "Outro",
        "agree": "Concordo",
        "progress": "Progresso",
        "one_error": "Uma resposta precisa de atenção:",
        "n_errors": "{n} respostas precisam de atenção:",
        "rank_hint": "Numere de 1 (o mais importante) a {n}.",
        "conditional": "Responda apenas se corresponder à sua resposta acima.",
        "resume": "Pode voltar mais tarde: o endereço desta página guarda as suas respostas.",
        REQUIRED: "Esta pergunta precisa de uma resposta.",
        TICK: "Marque a caixa para continuar.",
    },
}


def chrome(language: str | None) -> dict[str, str]:
    """The page's words in `language` (or its base language), English where there is no translation."""
    base = (language or "en").split("-")[0].lower()
    return {**CHROME["en"], **CHROME.get(language or "", {}), **CHROME.get(base, {})}


def translate_errors(errors: dict[str, str], language: str | None) -> dict[str, str]:
    words = chrome(language)
    return {key: words.get(message, message) for key, message in errors.items()}
