"""Text that no database column can hold (NUL, lone surrogates) is cleaned at the door, on every way in."""

from cxloop.feedback.models import FeedbackItem


def test_nul_and_lone_surrogate_in_api_text_are_cleaned_not_a_server_error(cast, make_key, client):
    key = make_key(cast.workspace)
    body = (
        '{"channel": "chat", "occurred_at": "2026-01-02T10:00:00Z", "text": "late\\u0000 parcel \\ud800!",'
        ' "customer": {"email": "nul@x.example", "name": "A\\u0000nn"}, "metadata": {"k\\u0000": "v\\u0000"}}'
    )
    response = client.post(
        "/api/v1/feedback", body, content_type="application/json", headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 201, response.content
    item = FeedbackItem.objects.get(pk=response.json()["id"])
    assert item.text == "late parcel \ufffd!"
    assert item.customer.name == "Ann"
    assert item.metadata == {"k": "v"}
