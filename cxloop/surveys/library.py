"""Ready-to-send survey templates. Each is a definition (see definition.py) a workspace can copy and edit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .definition import parse_definition


@dataclass(frozen=True)
class Template:
    key: str
    name: str
    purpose: str
    touchpoint: str
    definition: dict[str, Any]


def _nps_followups() -> list[dict[str, Any]]:
    return [
        {
            "key": "why",
            "title": "",
            "questions": [
                {
                    "key": "reason",
                    "type": "text",
                    "multiline": True,
                    "label": {
                        "en": "What is the main reason for your score of {{answer:nps}}?",
                        "de": "Was ist der wichtigste Grund für Ihre Bewertung von {{answer:nps}}?",
                    },
                },
            ],
        },
        {
            "key": "detractor",
            "show_if": {"q": "nps", "op": "lte", "value": 6},
            "questions": [
                {
                    "key": "fix_first",
                    "type": "choice",
                    "label": {
                        "en": "What should we fix first?",
                        "de": "Was sollten wir zuerst verbessern?",
                    },
                    "allow_other": True,
                    "options": [
                        {"key": "delivery", "label": {"en": "Delivery speed", "de": "Liefergeschwindigkeit"}},
                        {"key": "quality", "label": {"en": "Product quality", "de": "Produktqualität"}},
                        {"key": "returns", "label": {"en": "Returns and refunds", "de": "Rücksendungen"}},
                        {"key": "support", "label": {"en": "Customer support", "de": "Kundenservice"}},
                        {"key": "price", "label": {"en": "Prices", "de": "Preise"}},
                    ],
                },
                {
                    "key": "contact_ok",
                    "type": "yes_no",
                    "label": {
                        "en": "May we contact you about your answer?",
                        "de": "Dürfen wir Sie zu Ihrer Antwort kontaktieren?",
                    },
                },
            ],
        },
    ]


RELATIONSHIP_NPS = {
    "languages": ["en", "de"],
    "welcome": {
        "title": {"en": "Two minutes for us?", "de": "Zwei Minuten für uns?"},
        "text": {
            "en": "Tell us how we are doing. Your answers go straight to the team that can fix things.",
            "de": "Sagen Sie uns, wie wir uns schlagen. Ihre Antworten gehen direkt an das zuständige Team.",
        },
    },
    "blocks": [
        {
            "key": "score",
            "questions": [
                {
                    "key": "nps",
                    "type": "nps",
                    "required": True,
                    "label": {
                        "en": "How likely are you to recommend us to a friend or colleague?",
                        "de": "Wie wahrscheinlich ist es, dass Sie uns einem Freund oder Kollegen empfehlen?",
                    },
                    "min_label": {"en": "Not at all likely", "de": "Sehr unwahrscheinlich"},
                    "max_label": {"en": "Extremely likely", "de": "Sehr wahrscheinlich"},
                }
            ],
        },
        *_nps_followups(),
    ],
    "endings": [
        {
            "key": "thanks",
            "title": {"en": "Thank you!", "de": "Vielen Dank!"},
            "text": {"en": "We read every answer.", "de": "Wir lesen jede Antwort."},
        }
    ],
}

DELIVERY_CSAT = {
    "hidden_fields": ["order_id", "touchpoint"],
    "blocks": [
        {
            "key": "score",
            "questions": [
                {
                    "key": "csat",
                    "type": "csat",
                    "required": True,
                    "style": "emoji",
                    "label": "How satisfied are you with the delivery of order {{hidden:order_id}}?",
                    "min_label": "Very dissatisfied",
                    "max_label": "Very satisfied",
                }
            ],
        },
        {
            "key": "details",
            "questions": [
                {
                    "key": "on_time",
                    "type": "yes_no",
                    "label": "Did your parcel arrive on the promised day?",
                },
                {
                    "key": "aspects",
                    "type": "matrix",
                    "label": "How would you rate…",
                    "scale": [1, 5],
                    "min_label": "Poor",
                    "max_label": "Excellent",
                    "rows": [
                        {"key": "speed", "label": "Delivery speed"},
                        {"key": "packaging", "label": "Packaging"},
                        {"key": "courier", "label": "The courier"},
                        {"key": "tracking", "label": "Tracking updates"},
                    ],
                },
                {
                    "key": "comment",
                    "type": "text",
                    "multiline": True,
                    "label": "Anything we could do better?",
                },
            ],
        },
    ],
}

SUPPORT_CES = {
    "hidden_fields": ["ticket_id"],
    "blocks": [
        {
            "key": "effort",
            "questions": [
                {
                    "key": "ces",
                    "type": "ces",
                    "required": True,
                    "label": "The company made it easy for me to handle my issue.",
                    "min_label": "Strongly disagree",
                    "max_label": "Strongly agree",
                },
                {"key": "resolved", "type": "yes_no", "required": True, "label": "Was your issue resolved?"},
            ],
        },
        {
            "key": "unresolved",
            "show_if": {"q": "resolved", "op": "eq", "value": False},
            "questions": [
                {
                    "key": "what_left",
                    "type": "text",
                    "multiline": True,
                    "label": "What is still open? We will pick it up.",
                }
            ],
        },
    ],
}

EXIT_SURVEY = {
    "blocks": [
        {
            "key": "why",
            "questions": [
                {
                    "key": "leave_reasons",
                    "type": "multi_choice",
                    "required": True,
                    "allow_other": True,
                    "label": "Why are you leaving? Choose all that apply.",
                    "options": [
                        {"key": "price", "label": "Too expensive"},
                        {"key": "delivery", "label": "Deliveries were late or unreliable"},
                        {"key": "quality", "label": "Product quality"},
                        {"key": "returns", "label": "Returns were a hassle"},
                        {"key": "competitor", "label": "Found a better shop"},
                        {"key": "no_need", "label": "I no longer need it"},
                    ],
                },
            ],
        },
        {
            "key": "main",
            "questions": [
                {
                    "key": "main_reason",
                    "type": "choice",
                    "required": True,
                    "label": "Which one mattered most?",
                    "carry_forward": {"from": "leave_reasons", "which": "chosen"},
                },
                {
                    "key": "come_back",
                    "type": "rating",
                    "scale": [1, 5],
                    "style": "stars",
                    "label": "How likely are you to shop with us again?",
                },
                {
                    "key": "comment",
                    "type": "text",
                    "multiline": True,
                    "label": "Anything else you want us to know?",
                },
            ],
        },
    ],
}

PMF = {
    "blocks": [
        {
            "key": "pmf",
            "questions": [
                {
                    "key": "disappointed",
                    "type": "choice",
                    "required": True,
                    "label": "How would you feel if you could no longer use our shop?",
                    "options": [
                        {"key": "very", "label": "Very disappointed"},
                        {"key": "somewhat", "label": "Somewhat disappointed"},
                        {"key": "not", "label": "Not disappointed"},
                    ],
                },
                {
                    "key": "main_benefit",
                    "type": "text",
                    "label": "What is the main benefit you get from us?",
                },
                {
                    "key": "improve",
                    "type": "text",
                    "multiline": True,
                    "label": "How could we improve for you?",
                },
            ],
        }
    ]
}

ENPS = {
    "blocks": [
        {
            "key": "enps",
            "questions": [
                {
                    "key": "enps",
                    "type": "nps",
                    "required": True,
                    "label": "How likely are you to recommend this company as a place to work?",
                    "min_label": "Not at all likely",
                    "max_label": "Extremely likely",
                },
                {
                    "key": "team",
                    "type": "choice",
                    "label": "Your team",
                    "options": [
                        {"key": "warehouse", "label": "Warehouse and delivery"},
                        {"key": "support", "label": "Customer support"},
                        {"key": "shop", "label": "Web shop and app"},
                        {"key": "office", "label": "Office and management"},
                    ],
                },
                {
                    "key": "one_change",
                    "type": "text",
                    "multiline": True,
                    "label": "If you could change one thing at work, what would it be?",
                },
            ],
        }
    ]
}

ONBOARDING = {
    "layout": "one_per_screen",
    "blocks": [
        {
            "key": "start",
            "questions": [
                {
                    "key": "signup_ease",
                    "type": "ces",
                    "required": True,
                    "label": "Creating your account was easy.",
                    "min_label": "Strongly disagree",
                    "max_label": "Strongly agree",
                },
                {
                    "key": "found_via",
                    "type": "choice",
                    "randomize_options": True,
                    "allow_other": True,
                    "label": "How did you hear about us?",
                    "options": [
                        {"key": "search", "label": "Search engine"},
                        {"key": "social", "label": "Social media"},
                        {"key": "friend", "label": "A friend"},
                        {"key": "ad", "label": "An advert"},
                    ],
                },
                {
                    "key": "interests",
                    "type": "ranking",
                    "label": "Rank what matters most to you when shopping with us.",
                    "options": [
                        {"key": "price", "label": "Price"},
                        {"key": "speed", "label": "Fast delivery"},
                        {"key": "quality", "label": "Quality"},
                        {"key": "returns", "label": "Easy returns"},
                    ],
                },
                {
                    "key": "newsletter",
                    "type": "consent",
                    "label": "Yes, you may email me tips and offers (you can unsubscribe at any time).",
                },
            ],
        }
    ],
}

TEMPLATES: list[Template] = [
    Template(
        "relationship_nps",
        "Relationship NPS",
        "Every quarter: how likely customers are to recommend you, and why.",
        "",
        RELATIONSHIP_NPS,
    ),
    Template(
        "delivery_csat",
        "Delivery CSAT",
        "After each delivery: satisfaction with the delivery and what went wrong.",
        "delivery",
        DELIVERY_CSAT,
    ),
    Template(
        "support_ces",
        "Support effort (CES)",
        "After a support ticket closes: how easy it was, and whether the issue is solved.",
        "support",
        SUPPORT_CES,
    ),
    Template(
        "exit",
        "Exit survey",
        "When a customer cancels or goes quiet: why they are leaving.",
        "churn",
        EXIT_SURVEY,
    ),
    Template(
        "pmf",
        "Product-market fit",
        "How disappointed customers would be without you (Sean Ellis test).",
        "",
        PMF,
    ),
    Template(
        "enps", "Employee NPS (eNPS)", "For your own staff: would they recommend working here?", "", ENPS
    ),
    Template(
        "onboarding",
        "Onboarding",
        "A week after sign-up: how easy getting started was and what brought them.",
        "onboarding",
        ONBOARDING,
    ),
]

BY_KEY = {t.key: t for t in TEMPLATES}


def template_definition(key: str) -> dict[str, Any]:
    """A template's definition, complete (defaults filled) and checked."""
    return parse_definition(BY_KEY[key].definition).dump()


BLANK = {
    "blocks": [
        {
            "key": "b1",
            "questions": [
                {
                    "key": "nps",
                    "type": "nps",
                    "required": True,
                    "label": "How likely are you to recommend us?",
                }
            ],
        }
    ]
}
