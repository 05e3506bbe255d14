"""Ready-made mappings for common exports. Each works for file imports and webhooks alike."""

PRESETS = {
    "generic_reviews": {
        "label": "Reviews (generic CSV: id, date, rating 1–5, title, text, author email)",
        "mapping": {
            "kind": "feedback",
            "fields": {
                "external_id": "id",
                "channel": {"const": "review"},
                "source": {"const": "Reviews"},
                "occurred_at": "date",
                "title": "title",
                "text": "text",
                "customer.email": "email",
                "customer.name": "author",
            },
            "answers": [{"key": "rating", "type": "rating", "value": "rating", "scale": [1, 5]}],
        },
    },
    "zendesk_tickets": {
        "label": "Support tickets (Zendesk-like export: id, requester, subject, description, satisfaction)",
        "mapping": {
            "kind": "feedback",
            "fields": {
                "external_id": "id",
                "channel": {"const": "ticket"},
                "source": {"const": "Zendesk"},
                "touchpoint": {"const": "support"},
                "occurred_at": "created_at",
                "title": "subject",
                "text": "description",
                "customer.email": "requester_email",
                "customer.name": "requester_name",
                "customer.external_id": "requester_id",
            },
            "answers": [
                {
                    "key": "csat",
                    "type": "csat",
                    "value": "satisfaction_rating",
                    "map": {"good": 5, "bad": 1, "offered": None, "unoffered": None},
                },
            ],
            "metadata": {"status": "status", "priority": "priority", "tags": "tags"},
        },
    },
    "app_store_reviews": {
        "label": "App-store reviews (review id, date, rating, title, review, user name, app version)",
        "mapping": {
            "kind": "feedback",
            "fields": {
                "external_id": "review_id",
                "channel": {"const": "review"},
                "source": {"const": "App Store"},
                "touchpoint": {"const": "app"},
                "occurred_at": "date",
                "title": "title",
                "text": "review",
                "customer.name": "user_name",
                "language": "language",
            },
            "answers": [{"key": "stars", "type": "rating", "value": "rating", "scale": [1, 5]}],
            "metadata": {"app_version": "app_version", "country": "country"},
        },
    },
}
