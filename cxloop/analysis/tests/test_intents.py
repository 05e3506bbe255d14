"""Intents of support tickets and chats, learnt from a workspace's labelled examples (few-shot works): six
examples of each of three intents train a model (the real local encoder) that reads new phrasings right,
the support items read by the worker get their intent, analysts' corrections become examples, and the
model trains again in the background."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.utils import timezone

from cxloop.analysis import intents, services
from cxloop.analysis.models import Enrichment, Intent, IntentExample, IntentModel, IntentReading
from cxloop.core.exceptions import Conflict
from cxloop.feedback.tests.helpers import assert_problem, feedback_body

pytestmark = pytest.mark.django_db

WHERE, REFUND, ADDRESS = "Where is my order", "Refund request", "Change delivery address"
EXAMPLES = {
    WHERE: [
        "Where is my order?",
        "My parcel hasn't arrived yet",
        "When will my package be delivered?",
        "I'm still waiting for my order from last week",
        "Can you track my delivery for me?",
        "The tracking hasn't updated in days, where is it?",
    ],
    REFUND: [
        "I want my money back",
        "Please refund my order",
        "How do I get a refund for a faulty item?",
        "I returned the jacket, when will I be refunded?",
        "Can I have a refund instead of a replacement?",
        "You charged me twice, please refund the extra payment",
    ],
    ADDRESS: [
        "I need to change my delivery address",
        "Can I send the order to a different address?",
        "I moved house, please update the shipping address",
        "Wrong address on my order, can you fix it?",
        "Please deliver to my work address instead",
        "Can I change where the parcel is delivered?",
    ],
}
NEW_PHRASINGS = {  # none of these is an example
    "It's been ten days and my package still hasn't shown up": WHERE,
    "The shoes don't fit, I'd like my money refunded please": REFUND,
    "Please ship it to my new flat at 5 Elm Street instead of the old address": ADDRESS,
}
HTMX = {"HX-Request": "true"}


def _rows(examples: dict[str, list[str]]) -> list[tuple[int, str, str]]:
    return [
        (n, text, name) for n, (name, text) in enumerate((k, t) for k, ts in examples.items() for t in ts)
    ]


def _snapshot(workspace) -> dict:
    """Every intent row of a workspace, as plain values."""
    return {
        "intents": list(Intent.objects.filter(workspace=workspace).order_by("pk").values_list("pk", "name")),
        "examples": list(
            IntentExample.objects.filter(workspace=workspace)
            .order_by("pk")
            .values_list("pk", "intent_id", "text", "source")
        ),
        "readings": list(
            IntentReading.objects.filter(workspace=workspace)
            .order_by("pk")
            .values_list("pk", "item_id", "intent_id", "source", "model_version")
        ),
        "model": list(
            IntentModel.objects.filter(workspace=workspace).values_list("status", "version", "examples")
        ),
    }


@pytest.fixture
def trained(cast, django_capture_on_commit_callbacks):
    """Acme's three intents with six examples each, and the model trained on them (the task runs inline)."""
    with django_capture_on_commit_callbacks(execute=True):
        added = intents.examples_import(workspace=cast.workspace, rows=_rows(EXAMPLES))
    assert added.added == 18 and sorted(added.intents_created) == sorted(EXAMPLES)
    by_name = {i.name: i for i in Intent.objects.filter(workspace=cast.workspace)}
    return SimpleNamespace(
        model=IntentModel.objects.get(workspace=cast.workspace),
        **{"where": by_name[WHERE], "refund": by_name[REFUND], "address": by_name[ADDRESS]},
    )


def _ticket(post_feedback, text: str, channel: str = "ticket", external_id: str | None = None) -> int:
    body = {
        "text": text,
        "title": "",
        "answers": [],
        "channel": channel,
        "occurred_at": timezone.now().isoformat(),
    }
    response = post_feedback(**body, external_id=external_id or f"{channel}-{abs(hash(text))}")
    assert response.status_code == 201, response.content
    return response.json()["id"]


# -- training ------------------------------------------------------------------------------------------------
def test_too_few_examples_says_what_is_missing(cast):
    refund = intents.intent_create(
        workspace=cast.workspace, name=REFUND, examples="\n".join(EXAMPLES[REFUND])
    )
    intents.intent_create(workspace=cast.workspace, name=WHERE, examples="Where is my order?")
    model = intents.intent_train(workspace=cast.workspace)
    assert model.status == "too_few" and model.version == "" and model.data is None
    assert model.message == (
        "A model needs at least 2 intents with 2 examples or more each; 1 has that many. "
        "Add examples to “Where is my order” (1)."
    )
    with pytest.raises(Conflict, match="Add examples to “Where is my order”"):
        intents.intent_predict(workspace=cast.workspace, texts=["Where is my parcel?"])
    intents.intent_delete(workspace=cast.workspace, intent_id=refund.pk)
    assert intents.intent_train(workspace=cast.workspace).message.startswith("A model needs at least 2")


def test_training_gives_a_ready_model_with_its_cross_validated_accuracy(cast, trained):
    model = trained.model
    assert model.status == "ready" and model.error == "" and model.message == ""
    assert model.examples == 18 and model.intents == 3 and model.trained_at is not None
    assert model.cv_folds == 5 and model.cv_accuracy >= 0.75  # five folds: six examples per intent
    assert set(model.cv_recall) == {str(trained.where.pk), str(trained.refund.pk), str(trained.address.pk)}
    head = intents.IntentHead.from_bytes(model.data)
    assert sorted(head.classes) == sorted(str(i.pk) for i in (trained.where, trained.refund, trained.address))
    # the same examples again: nothing to train, the head stays
    assert intents.intent_train(workspace=cast.workspace).version == model.version


def test_new_phrasings_get_the_right_intent(cast, trained):
    found = intents.intent_predict(workspace=cast.workspace, texts=[*NEW_PHRASINGS, "🙂"])
    assert [intent.name for intent, _ in found[:3]] == list(NEW_PHRASINGS.values())
    assert all(0.34 < p <= 1 for _, p in found[:3])
    assert found[3] == (None, None)  # no words: no intent


def test_one_example_of_an_intent_trains_without_an_accuracy(cast):
    rows = _rows({WHERE: EXAMPLES[WHERE][:3], REFUND: EXAMPLES[REFUND][:2], ADDRESS: EXAMPLES[ADDRESS][:1]})
    intents.examples_import(workspace=cast.workspace, rows=rows)
    model = intents.intent_train(workspace=cast.workspace)
    assert model.status == "ready" and model.intents == 3 and model.cv_accuracy is None
    assert model.cv_folds == 0 and "“Change delivery address” has one example only" in model.message


def test_a_change_during_training_leaves_the_model_training(cast, trained, monkeypatch):
    real = intents.cross_validate

    def meanwhile(*args):  # an analyst adds an example while the worker trains
        IntentModel.objects.update(queued_at=timezone.now())
        return real(*args)

    monkeypatch.setattr(intents, "cross_validate", meanwhile)
    intents.examples_add(workspace=cast.workspace, intent_id=trained.where.pk, text="Has it shipped yet?")
    model = intents.intent_train(workspace=cast.workspace)
    assert model.status == "training" and model.examples == 19  # the head is kept; the next training runs


def test_renaming_an_intent_needs_no_training(cast, trained, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        intents.intent_update(
            workspace=cast.workspace, intent_id=trained.refund.pk, name="Refund", description=""
        )
    assert callbacks == []
    (found,) = intents.intent_predict(workspace=cast.workspace, texts=["Please refund my jacket"])
    assert found[0].name == "Refund"


# -- reading support items -----------------------------------------------------------------------------------
def test_support_items_get_their_intent_and_survey_answers_do_not(cast, trained, post_feedback):
    ticket = _ticket(post_feedback, "Hi, my parcel still hasn't arrived. Where is it?")
    chat = _ticket(post_feedback, "can i get a refund for the broken lamp", channel="chat")
    survey = _ticket(post_feedback, "Where is my order? Still waiting.", channel="survey")
    services.enrich_items(item_ids=[ticket, chat, survey])
    readings = {r.item_id: r for r in IntentReading.objects.select_related("intent")}
    assert set(readings) == {ticket, chat}
    assert readings[ticket].intent.name == WHERE and readings[chat].intent.name == REFUND
    assert readings[ticket].source == "model" and readings[ticket].model_version == trained.model.version
    assert 0 < readings[ticket].score <= 1


def test_reading_items_costs_one_query_when_no_workspace_has_a_model(
    cast, post_feedback, django_assert_num_queries
):
    ids = [_ticket(post_feedback, f"Where is order {n}?") for n in range(3)]
    with django_assert_num_queries(1):
        assert intents.read_items(item_ids=ids) == 0


def test_a_new_model_reads_the_intents_again_without_reading_the_texts_again(
    cast, trained, post_feedback, django_capture_on_commit_callbacks
):
    ticket = _ticket(post_feedback, "Could you send it to my office address instead?")
    services.enrich_items(item_ids=[ticket])
    enriched = Enrichment.objects.get(item_id=ticket).enriched_at
    first = IntentReading.objects.get(item_id=ticket)
    assert first.intent == trained.address
    with django_capture_on_commit_callbacks(execute=True):
        intents.examples_add(
            workspace=cast.workspace, intent_id=trained.address.pk, text="Update my address please"
        )
    model = IntentModel.objects.get(workspace=cast.workspace)
    assert model.status == "ready" and model.version != trained.model.version and model.examples == 19
    again = IntentReading.objects.get(item_id=ticket)
    assert again.model_version == model.version and again.intent == trained.address
    assert Enrichment.objects.get(item_id=ticket).enriched_at == enriched  # intents only


# -- corrections in the Inbox drawer -------------------------------------------------------------------------
def test_analyst_correction_becomes_an_example_and_the_model_trains_again(
    login, cast, trained, post_feedback, django_capture_on_commit_callbacks
):
    text = "The courier says it was returned to sender, call me on 07700 900123"
    ticket = _ticket(post_feedback, text)
    services.enrich_items(item_ids=[ticket])
    client = login(cast.analyst)
    drawer = client.get(f"/inbox/{ticket}/", headers=HTMX).content.decode()
    assert "Intent" in drawer and "Correct intent…" in drawer
    block = client.get(f"/inbox/{ticket}/intent/", headers=HTMX).content.decode()
    assert f'<option value="{trained.refund.pk}"' in block and "<html" not in block
    page = client.get(f"/inbox/{ticket}/intent/").content.decode()  # without JavaScript: the item's page
    assert "<html" in page and f'<option value="{trained.refund.pk}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/inbox/{ticket}/intent/set/", {"intent": trained.refund.pk}, headers=HTMX)
    assert response.status_code == 200 and "set by an analyst" in response.content.decode()
    reading = IntentReading.objects.get(item_id=ticket)
    assert (reading.intent, reading.source, reading.decided_by) == (trained.refund, "analyst", cast.analyst)
    example = IntentExample.objects.get(item_id=ticket)
    assert example.intent == trained.refund and example.source == "correction"
    assert "[phone]" in example.text and "07700" not in example.text  # the redacted copy
    model = IntentModel.objects.get(workspace=cast.workspace)
    assert model.version != trained.model.version and model.examples == 19  # trained again, inline
    assert IntentReading.objects.get(item_id=ticket).source == "analyst"  # the re-reading keeps it
    services.enrich_items(item_ids=[ticket])
    assert IntentReading.objects.get(item_id=ticket).intent == trained.refund  # and so does reading the text
    # changing one's mind moves the example; it does not add another
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/inbox/{ticket}/intent/set/", {"intent": trained.where.pk})
    assert list(IntentExample.objects.filter(item_id=ticket).values_list("intent_id", flat=True)) == [
        trained.where.pk
    ]
    page = client.get("/analytics/intents/").content.decode()
    assert "Corrections" in page


def test_only_support_items_have_an_intent_to_correct(login, cast, trained, post_feedback):
    survey = _ticket(post_feedback, "Where is my order? Still waiting.", channel="survey")
    services.enrich_items(item_ids=[survey])
    client = login(cast.analyst)
    assert "Correct intent" not in client.get(f"/inbox/{survey}/").content.decode()
    response = client.post(f"/inbox/{survey}/intent/set/", {"intent": trained.where.pk}, follow=True)
    assert "Only support tickets, chats and emails have an intent." in response.content.decode()
    assert not IntentReading.objects.exists() and IntentExample.objects.count() == 18


def test_viewer_sees_the_intent_but_cannot_correct_it(login, cast, trained, post_feedback):
    ticket = _ticket(post_feedback, "Where's my parcel? It's a week late")
    services.enrich_items(item_ids=[ticket])
    client = login(cast.viewer)
    drawer = client.get(f"/inbox/{ticket}/").content.decode()
    assert WHERE in drawer and "Correct intent" not in drawer
    assert client.get(f"/inbox/{ticket}/intent/").status_code == 403
    assert client.post(f"/inbox/{ticket}/intent/set/", {"intent": trained.refund.pk}).status_code == 403
    assert IntentReading.objects.get(item_id=ticket).source == "model"


# -- examples: typed in, imported ----------------------------------------------------------------------------
def test_csv_import_with_bad_rows_imports_nothing_and_says_which(login, cast):
    from django.core.files.uploadedfile import SimpleUploadedFile

    too_long = "x" * 1001
    data = f'text,intent\n"Where is my parcel?",{WHERE}\n,{REFUND}\n{too_long},{REFUND}\n'
    data += f"Please refund me,\nWhere is my parcel?,{REFUND}\n"
    client = login(cast.analyst)
    response = client.post(
        "/analytics/intents/import/", {"file": SimpleUploadedFile("x.csv", data.encode(), "text/csv")}
    )
    assert response.status_code == 422
    page = response.content.decode()
    for said in (
        "Nothing was imported: 4 rows are wrong",
        "Row 3: the text is empty",
        "Row 4: the text is over 1,000 characters (1,001)",
        "Row 5: the intent is empty",
        "Row 6: the same text is given as another intent on row 2",
    ):
        assert said in page
    assert not Intent.objects.exists() and not IntentExample.objects.exists()


def test_csv_import_creates_the_intents_and_trains(login, cast, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    lines = ["\ufefftext;Intent"] + [f'"{t}";{name}' for name, ts in EXAMPLES.items() for t in ts]
    lines.append(f"where is my order?;{WHERE.upper()}")  # an existing intent's name, in another case
    upload = SimpleUploadedFile("examples.csv", "\n".join(lines).encode(), "text/csv")
    client = login(cast.analyst)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/analytics/intents/import/", {"file": upload}, follow=True)
    assert "19 examples imported" in response.content.decode()
    assert Intent.objects.filter(workspace=cast.workspace).count() == 3
    assert IntentExample.objects.filter(source="import").count() == 19
    assert IntentModel.objects.get(workspace=cast.workspace).status == "ready"


def test_a_text_is_an_example_of_one_intent_only(cast, trained):
    with pytest.raises(intents.ExampleErrors) as caught:
        intents.examples_add(
            workspace=cast.workspace, intent_id=trained.refund.pk, text="A new one\nWhere is my order?"
        )
    assert (
        caught.value.message
        == "Nothing was added: line 2: the text is already an example of “Where is my order”."
    )
    added = intents.examples_add(
        workspace=cast.workspace, intent_id=trained.where.pk, text="Where   is my order?"
    )
    assert (added.added, added.existing) == (0, 1)  # the same text (spaces aside) is there already


# -- the page ------------------------------------------------------------------------------------------------
def test_page_shows_the_model_and_the_intents(login, cast, trained, post_feedback):
    services.enrich_items(item_ids=[_ticket(post_feedback, "Where is my parcel??")])
    client = login(cast.analyst)
    page = client.get("/analytics/intents/").content.decode()
    assert "Ready" in page and "Cross-validated accuracy" in page and "5 folds" not in page
    assert "on 18 examples of 3 intents" in page and 'aria-current="page">Intents' in page
    assert "1 support item" in page and "100%" in page  # the one ticket, read as "Where is my order"
    assert "Train now" in page and "Add an intent" in page and "Import examples" in page
    detail = client.get(f"/analytics/intents/{trained.where.pk}/").content.decode()
    assert "The tracking hasn&#x27;t updated in days" in detail and "Delete the intent" in detail


def test_page_queries_do_not_grow_with_the_intents(login, cast, trained):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(cast.viewer)
    with CaptureQueriesContext(connection) as three:
        client.get("/analytics/intents/")
    more = {f"Intent {n}": [f"Example {n} one", f"Example {n} two"] for n in range(5)}
    intents.examples_import(workspace=cast.workspace, rows=_rows(more))
    with CaptureQueriesContext(connection) as eight:
        assert "Intent 4" in client.get("/analytics/intents/").content.decode()
    assert len(eight) == len(three)


def test_page_says_what_is_missing_before_a_model(login, cast):
    intents.intent_create(workspace=cast.workspace, name=REFUND, examples="Refund me\nMoney back")
    page = login(cast.analyst).get("/analytics/intents/").content.decode()
    assert "Too few examples" in page and "Add another intent with its examples." in page
    assert "Train now" not in page


def test_page_for_a_viewer_has_no_edit_controls_and_refuses_changes(login, cast, trained):
    client = login(cast.viewer)
    page = client.get("/analytics/intents/").content.decode()
    assert WHERE in page and "Train now" not in page and "Add an intent" not in page
    detail = client.get(f"/analytics/intents/{trained.where.pk}/").content.decode()
    assert "Delete" not in detail and "Add examples" not in detail
    before = _snapshot(cast.workspace)
    example = IntentExample.objects.filter(intent=trained.where).first()
    for url, data in (
        ("/analytics/intents/new/", {"name": "Mine", "examples": "a\nb"}),
        ("/analytics/intents/import/", {}),
        ("/analytics/intents/train/", {}),
        (f"/analytics/intents/{trained.where.pk}/edit/", {"name": "Mine"}),
        (f"/analytics/intents/{trained.where.pk}/delete/", {}),
        (f"/analytics/intents/{trained.where.pk}/examples/", {"examples": "mine"}),
        (f"/analytics/intents/examples/{example.pk}/delete/", {}),
    ):
        assert client.post(url, data).status_code == 403, url
    assert _snapshot(cast.workspace) == before


def test_new_intent_form_keeps_what_was_typed_on_error(login, cast, trained):
    client = login(cast.analyst)
    response = client.post("/analytics/intents/new/", {"name": WHERE.lower(), "examples": "Where's my stuff"})
    assert response.status_code == 409
    assert "There is already an intent called" in response.content.decode()
    assert "Where&#x27;s my stuff" in response.content.decode()


# -- the API -------------------------------------------------------------------------------------------------
def test_api_lists_intents_with_their_examples_and_the_model(api, acme_key, trained):
    body = api("get", "/api/v1/intents", key=acme_key).json()
    assert body["model"]["status"] == "ready" and body["model"]["ready"] is True
    assert body["model"]["cv_folds"] == 5 and 0 < body["model"]["cv_accuracy"] <= 1
    assert [(i["name"], i["examples"]["imported"], i["examples"]["total"]) for i in body["intents"]] == [
        (ADDRESS, 6, 6),
        (REFUND, 6, 6),
        (WHERE, 6, 6),
    ]


def test_api_adds_examples_and_predicts(api, acme_key, cast, django_capture_on_commit_callbacks):
    no_model = api("post", "/api/v1/intents/predict", key=acme_key, json={"texts": ["Where is it?"]})
    assert "No intent model yet" in assert_problem(no_model, 409)["detail"]
    examples = [{"text": t, "intent": name} for name, ts in EXAMPLES.items() for t in ts]
    with django_capture_on_commit_callbacks(execute=True):
        added = api("post", "/api/v1/intents/examples", key=acme_key, json={"examples": examples})
    assert added.status_code == 201, added.content
    assert added.json()["added"] == 18 and len(added.json()["intents_created"]) == 3
    again = api("post", "/api/v1/intents/examples", key=acme_key, json={"examples": examples[:2]}).json()
    assert (again["added"], again["existing"]) == (0, 2)
    found = api("post", "/api/v1/intents/predict", key=acme_key, json={"texts": list(NEW_PHRASINGS)})
    assert found.status_code == 200, found.content
    assert [p["intent"] for p in found.json()["predictions"]] == list(NEW_PHRASINGS.values())


def test_api_refuses_bad_examples_with_per_row_errors(api, acme_key):
    rows = [
        {"text": "Where is it?", "intent": WHERE},
        {"text": " ", "intent": WHERE},
        {"text": "x", "intent": ""},
    ]
    body = assert_problem(api("post", "/api/v1/intents/examples", key=acme_key, json={"examples": rows}), 400)
    assert body["errors"] == [
        {"loc": ["body", "examples", 1, "text"], "msg": "the text is empty", "type": "value_error"},
        {"loc": ["body", "examples", 2, "intent"], "msg": "the intent is empty", "type": "value_error"},
    ]
    assert body["detail"].startswith("Nothing was added: example 1: the text is empty")
    assert not IntentExample.objects.exists() and not Intent.objects.exists()


def test_api_needs_the_right_key_and_keeps_to_its_limits(api, cast, make_key, acme_key):
    read_only = make_key(cast.workspace, ["read"])
    assert_problem(api("get", "/api/v1/intents"), 401)
    assert_problem(api("post", "/api/v1/intents/predict", json={"texts": ["x"]}), 401)
    one = {"examples": [{"text": "Where is it?", "intent": WHERE}]}
    assert_problem(api("post", "/api/v1/intents/examples", key=read_only, json=one), 403)
    assert api("get", "/api/v1/intents", key=read_only).status_code == 200
    many = {"examples": [{"text": f"text {n}", "intent": WHERE} for n in range(1001)]}
    assert_problem(api("post", "/api/v1/intents/examples", key=acme_key, json=many), 422)
    texts = {"texts": [f"text {n}" for n in range(101)]}
    assert_problem(api("post", "/api/v1/intents/predict", key=read_only, json=texts), 422)
    assert not IntentExample.objects.exists()


# -- isolation -----------------------------------------------------------------------------------------------
def test_outsider_sees_and_changes_nothing_of_acme_intents(
    login, cast, trained, post_feedback, api, other_key, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    ticket = _ticket(post_feedback, "Where is my parcel? It's late")
    services.enrich_items(item_ids=[ticket])
    before = _snapshot(cast.workspace)
    example = IntentExample.objects.filter(intent=trained.where).first()
    client = login(cast.outsider)

    page = client.get("/analytics/intents/").content.decode()
    assert WHERE not in page and REFUND not in page and "No intents yet" in page
    assert client.get(f"/analytics/intents/{trained.where.pk}/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        for url, data in (
            (f"/analytics/intents/{trained.where.pk}/edit/", {"name": "Mine"}),
            (f"/analytics/intents/{trained.where.pk}/delete/", {}),
            (f"/analytics/intents/{trained.where.pk}/examples/", {"examples": "mine"}),
            (f"/analytics/intents/examples/{example.pk}/delete/", {}),
        ):
            assert client.post(url, data).status_code == 404, url
        for headers in ({}, HTMX):
            assert client.get(f"/inbox/{ticket}/intent/", headers=headers).status_code == 404
            response = client.post(
                f"/inbox/{ticket}/intent/set/", {"intent": trained.refund.pk}, headers=headers
            )
            assert response.status_code == 404
        # their own new intent, import and training happen in their own workspace only
        client.post("/analytics/intents/new/", {"name": WHERE, "examples": "Where's my stuff?\nNot here yet"})
        csv_file = SimpleUploadedFile(
            "x.csv", f"text,intent\nRefund me,{REFUND}\nMoney back,{REFUND}".encode()
        )
        client.post("/analytics/intents/import/", {"file": csv_file})
        client.post("/analytics/intents/train/")
        own = api(
            "post",
            "/api/v1/intents/examples",
            key=other_key,
            json={"examples": [{"text": "x y", "intent": ADDRESS}]},
        )
        assert own.status_code == 201
    own_item = api("post", "/api/v1/feedback", key=other_key, json=feedback_body(text="Refund me")).json()[
        "id"
    ]
    mine = client.post(f"/inbox/{own_item}/intent/set/", {"intent": trained.refund.pk})
    assert mine.status_code == 404  # their own item, Acme's intent
    listed = api("get", "/api/v1/intents", key=other_key).json()
    assert {i["id"] for i in listed["intents"]}.isdisjoint({trained.where.pk, trained.refund.pk})
    predicted = api("post", "/api/v1/intents/predict", key=other_key, json={"texts": ["Where is my parcel?"]})
    assert predicted.json()["predictions"][0]["intent_id"] not in {trained.where.pk, trained.refund.pk}
    assert _snapshot(cast.workspace) == before
    assert Intent.objects.filter(workspace=cast.other_workspace).count() == 3
