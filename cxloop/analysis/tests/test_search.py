"""Semantic search: feedback found by meaning (a text, or "like" an item), most similar first, through the
service, the API and the Inbox; the index follows new, re-read and erased items; nobody finds another
workspace's feedback. The texts are read by the real local models."""

from __future__ import annotations

import re

import pytest

from cxloop.analysis import search as search_module
from cxloop.analysis.ml import pipeline
from cxloop.analysis.models import Enrichment
from cxloop.analysis.search import NOTHING_READ, search
from cxloop.analysis.services import enrich_items
from cxloop.core.exceptions import NotFound, ServiceError
from cxloop.feedback.models import FeedbackItem
from cxloop.feedback.selectors import FeedbackFilter
from cxloop.feedback.tests.helpers import assert_problem, feedback_body, ingest, store_state

pytestmark = pytest.mark.django_db

QUERY = "my order never came"
TOPICS = {
    "late": [
        ("late-1", "ticket", "The parcel is two weeks late and still has not arrived."),
        ("late-2", "ticket", "Delivery was delayed again, the package is nowhere to be seen."),
        ("late-3", "review", "Still waiting for the shipment, it is overdue by ten days."),
    ],
    "vase": [
        ("vase-1", "ticket", "The vase arrived shattered into pieces."),
        ("vase-2", "review", "The ceramic vase was cracked when I opened the box."),
    ],
    "dress": [
        ("dress-1", "review", "Gorgeous dress, it fits perfectly and the fabric feels lovely."),
        ("dress-2", "review", "I love this summer dress, what a beautiful colour."),
    ],
    "rude": [
        ("rude-1", "ticket", "The courier was rude and threw the box at the door."),
        ("rude-2", "review", "The delivery driver shouted at me and was very impolite."),
    ],
}


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def post_and_read(post, items) -> dict[str, int]:
    """Post (external id, channel, text) items with Acme's key and read them: external id -> item id."""
    ids = {}
    for external_id, channel, text in items:
        response = post(external_id=external_id, channel=channel, text=text, answers=[])
        assert response.status_code == 201, response.content
        ids[external_id] = response.json()["id"]
    enrich_items(item_ids=list(ids.values()))
    return ids


@pytest.fixture
def acme(cast, post_feedback) -> dict[str, int]:
    """Nine Acme items on four topics, read by the models: external id -> item id."""
    return post_and_read(post_feedback, [item for group in TOPICS.values() for item in group])


def topic_ids(acme, topic) -> set[int]:
    return {acme[external_id] for external_id, _, _ in TOPICS[topic]}


def found_ids(results) -> list[int]:
    return [item.pk for item, _ in results]


# --- The service ------------------------------------------------------------------------------------------
def test_a_meaning_query_finds_the_late_parcels_first_without_sharing_a_word(cast, acme):
    late = [text for _, _, text in TOPICS["late"]]
    assert all(not words(QUERY) & words(text) for text in late)

    results = search(workspace=cast.workspace, query=QUERY)

    assert set(found_ids(results)[:3]) == topic_ids(acme, "late")
    scores = [score for _, score in results]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    assert len(results) == 9 and results.reason == ""


def test_like_an_item_lists_the_others_on_its_topic_first_and_not_itself(cast, acme):
    results = search(workspace=cast.workspace, like_item_id=acme["late-1"])

    ids = found_ids(results)
    assert acme["late-1"] not in ids
    assert set(ids[:2]) == {acme["late-2"], acme["late-3"]}
    assert len(ids) == 8


@pytest.mark.parametrize("topic", ["vase", "dress", "rude"])
def test_each_topic_finds_its_own_items_first(cast, acme, topic):
    first, *others = TOPICS[topic]
    ids = found_ids(search(workspace=cast.workspace, like_item_id=acme[first[0]], limit=len(others)))
    assert set(ids) == {acme[external_id] for external_id, _, _ in others}


def test_filters_apply_and_keep_the_order_of_similarity(cast, acme):
    results = search(workspace=cast.workspace, query=QUERY, filters=FeedbackFilter(channel="review"))

    ids = found_ids(results)
    assert ids[0] == acme["late-3"]
    assert set(ids) == {
        acme[e] for group in TOPICS.values() for e, channel, _ in group if channel == "review"
    }
    assert all(item.channel == "review" for item, _ in results)


def test_a_narrow_filter_still_finds_its_items_far_down_the_ranking(cast, acme, monkeypatch):
    dress = FeedbackItem.objects.get(pk=acme["dress-2"])
    only_dress = FeedbackFilter(customer_id=dress.customer_id, since=dress.occurred_at)
    FeedbackItem.objects.exclude(pk=dress.pk).update(customer=None)

    assert found_ids(search(workspace=cast.workspace, query=QUERY, filters=only_dress, limit=1)) == [dress.pk]
    # past MAX_POST_FILTER candidates, the index is searched among the ids that pass the filters
    monkeypatch.setattr(search_module, "MAX_POST_FILTER", 5)
    assert found_ids(search(workspace=cast.workspace, query=QUERY, filters=only_dress, limit=1)) == [dress.pk]
    like = search(workspace=cast.workspace, like_item_id=dress.pk, filters=only_dress, limit=1)
    assert found_ids(like) == []  # the item itself is never its own neighbour


def test_limit_caps_the_results(cast, acme):
    assert len(search(workspace=cast.workspace, query=QUERY, limit=2)) == 2


def test_new_items_are_found_at_the_next_search(cast, acme, post_feedback):
    search(workspace=cast.workspace, query=QUERY)  # the index is built

    new = post_and_read(post_feedback, [("late-4", "chat", "Ten days on and the package still is not here.")])

    ids = found_ids(search(workspace=cast.workspace, query=QUERY))
    assert new["late-4"] in ids[:4]


def test_an_item_read_again_with_new_text_moves(cast, acme):
    dress = acme["dress-1"]
    assert dress not in found_ids(search(workspace=cast.workspace, query=QUERY))[:4]

    FeedbackItem.objects.filter(pk=dress).update(text="The box is weeks overdue and has not been delivered.")
    enrich_items(item_ids=[dress])

    assert dress in found_ids(search(workspace=cast.workspace, query=QUERY))[:4]
    assert dress in found_ids(search(workspace=cast.workspace, like_item_id=acme["late-2"], limit=3))


def test_in_a_large_index_texts_read_again_are_looked_for_at_most_every_few_seconds(cast, acme, monkeypatch):
    monkeypatch.setattr(search_module, "REREAD_SCAN_ROWS", 0)  # as if the index were large
    monkeypatch.setattr(search_module, "REREAD_CHECK_SECONDS", 3600)
    dress = acme["dress-1"]
    search(workspace=cast.workspace, query=QUERY)
    search(workspace=cast.workspace, query=QUERY)  # looked for rows read again: none
    FeedbackItem.objects.filter(pk=dress).update(text="The box is weeks overdue and has not been delivered.")
    enrich_items(item_ids=[dress])

    assert dress not in found_ids(search(workspace=cast.workspace, query=QUERY))[:4]
    monkeypatch.setattr(search_module, "REREAD_CHECK_SECONDS", 0)
    assert dress in found_ids(search(workspace=cast.workspace, query=QUERY))[:4]


def test_an_item_whose_second_reading_fails_leaves_the_index(cast, acme, monkeypatch):
    search(workspace=cast.workspace, query=QUERY)

    def broken(raw):
        raise ValueError("model fell over")

    monkeypatch.setattr(pipeline, "_rules", broken)
    enrich_items(item_ids=[acme["late-1"]])
    assert Enrichment.objects.get(item_id=acme["late-1"]).status == "failed"

    assert acme["late-1"] not in found_ids(search(workspace=cast.workspace, query=QUERY))


def test_an_erased_item_disappears(cast, acme, api, acme_key):
    search(workspace=cast.workspace, query=QUERY)

    assert api("delete", f"/api/v1/feedback/{acme['late-1']}", key=acme_key).status_code == 204

    ids = found_ids(search(workspace=cast.workspace, query=QUERY))
    assert acme["late-1"] not in ids and len(ids) == 8
    assert acme["late-1"] not in found_ids(search(workspace=cast.workspace, query=QUERY, limit=3))
    with pytest.raises(NotFound, match="No feedback item"):
        search(workspace=cast.workspace, like_item_id=acme["late-1"])


def test_vectors_of_other_models_are_not_mixed_in(cast, acme):
    Enrichment.objects.filter(item_id=acme["late-2"]).update(model_version="read-1:another-encoder:heads-x")
    search_module.forget_indexes()

    assert acme["late-2"] not in found_ids(search(workspace=cast.workspace, query=QUERY))
    with pytest.raises(NotFound, match="earlier version of the models"):
        search(workspace=cast.workspace, like_item_id=acme["late-2"])


def test_a_workspace_with_nothing_read_yet_says_so(cast, post_feedback):
    item_id = post_feedback(text="Where is my parcel?").json()["id"]  # stored, not read

    results = search(workspace=cast.workspace, query=QUERY)

    assert list(results) == [] and results.reason == NOTHING_READ
    with pytest.raises(NotFound, match="not been read yet"):
        search(workspace=cast.workspace, like_item_id=item_id)


def test_an_item_without_a_vector_cannot_be_compared(cast, acme, post_feedback):
    item_id = post_feedback(external_id="emoji", text="🙂🙂🙂").json()["id"]  # no words: no vector
    enrich_items(item_ids=[item_id])
    with pytest.raises(NotFound, match="no meaning to compare"):
        search(workspace=cast.workspace, like_item_id=item_id)


@pytest.mark.parametrize(
    ("query", "like", "limit", "message"),
    [
        (None, None, 20, "one of the two"),
        ("   ", None, 20, "one of the two"),
        ("late parcel", 1, 20, "one of the two"),
        ("x" * 1001, None, 20, "1,001 characters"),
        ("late parcel", None, 0, "limit"),
        ("late parcel", None, 101, "limit"),
    ],
)
def test_bad_requests_are_refused_with_a_clear_message(cast, query, like, limit, message):
    with pytest.raises(ServiceError, match=message) as caught:
        search(workspace=cast.workspace, query=query, like_item_id=like, limit=limit)
    assert caught.value.status == 400


# --- Isolation --------------------------------------------------------------------------------------------
def test_other_workspace_never_finds_acme_items_by_meaning_or_by_id(cast, acme, api, other_key):
    (own,) = ingest(cast.other_workspace, feedback_body(external_id="o", text="Our own late parcel story"))
    enrich_items(item_ids=[own.pk])
    before = store_state(cast.workspace)

    for params in [
        f"q={QUERY}",
        "q=vase",
        "q=dress&channel=review",
        f"like={own.pk}",
        f"q={QUERY}&limit=100",
    ]:
        response = api("get", f"/api/v1/feedback/search?{params}", key=other_key)
        assert response.status_code == 200, response.content
        assert [item["id"] for item in response.json()["items"]] in ([own.pk], [])
        for text in ("shattered", "dress", "courier", "two weeks late"):
            assert text not in response.content.decode()
    for item_id in acme.values():
        response = api("get", f"/api/v1/feedback/search?like={item_id}", key=other_key)
        body = assert_problem(response, 404)
        assert body["detail"] == f"No feedback item with id {item_id} in this workspace."
    assert store_state(cast.workspace) == before
    # and Acme, searching the same words, never meets the other workspace's item
    assert own.pk not in found_ids(search(workspace=cast.workspace, query="Our own late parcel story"))


def test_outsider_inbox_by_meaning_shows_nothing_of_acme(cast, acme, login):
    client = login(cast.outsider)

    by_text = client.get("/inbox/", {"mode": "meaning", "q": QUERY})
    like = client.get("/inbox/", {"like": acme["late-1"]})

    assert by_text.status_code == like.status_code == 200
    assert list(by_text.context["items"]) == list(like.context["items"]) == []
    assert f"No feedback item with id {acme['late-1']} in this workspace." in like.content.decode()
    for response in (by_text, like):
        for text in ("two weeks late", "shattered", "dress"):
            assert text not in response.content.decode()


# --- The API ----------------------------------------------------------------------------------------------
def test_api_search_answers_items_with_their_similarity(api, acme_key, acme, django_assert_max_num_queries):
    api("get", f"/api/v1/feedback/search?q={QUERY}", key=acme_key)  # the index is built

    with django_assert_max_num_queries(10):
        response = api("get", "/api/v1/feedback/search", key=acme_key, data={"q": QUERY, "limit": 3})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["reason"] is None
    assert {item["id"] for item in body["items"]} == topic_ids(acme, "late")
    first = body["items"][0]
    assert 0 < first["similarity"] <= 1 and first["enrichment"]["status"] == "done"
    assert {"text", "channel", "answers", "themes", "customer"} <= first.keys()
    similarities = [item["similarity"] for item in body["items"]]
    assert similarities == sorted(similarities, reverse=True)


def test_api_like_and_filters(api, acme_key, acme):
    response = api(
        "get", "/api/v1/feedback/search", key=acme_key, data={"like": acme["vase-1"], "channel": "review"}
    )
    ids = [item["id"] for item in response.json()["items"]]
    assert ids[0] == acme["vase-2"] and acme["vase-1"] not in ids
    assert all(item["channel"] == "review" for item in response.json()["items"])


def test_api_says_when_nothing_has_been_read_yet(api, acme_key, post_feedback):
    post_feedback(text="Where is my parcel?")
    body = api("get", f"/api/v1/feedback/search?q={QUERY}", key=acme_key).json()
    assert body == {"items": [], "reason": NOTHING_READ}


@pytest.mark.parametrize(
    ("query", "status", "detail"),
    [
        ("", 400, "one of the two"),
        ("q=late&like=1", 400, "one of the two"),
        ("q=" + "x" * 1001, 400, "keep it to 1,000"),
        ("like=999999", 404, "No feedback item with id 999999"),
        ("q=late&limit=0", 422, "limit"),
        ("q=late&limit=101", 422, "limit"),
        ("like=abc", 422, "like"),
    ],
)
def test_api_refuses_bad_searches(api, acme_key, acme, query, status, detail):
    body = assert_problem(api("get", f"/api/v1/feedback/search?{query}", key=acme_key), status)
    assert detail in body["detail"]


def test_api_search_needs_a_key(api):
    assert api("get", f"/api/v1/feedback/search?q={QUERY}").status_code == 401


def test_api_search_is_described_in_the_schema(api):
    schema = api("get", "/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/feedback/search"]["get"]
    assert operation["summary"].startswith("Search feedback by meaning")
    assert {p["name"] for p in operation["parameters"]} >= {"q", "like", "limit", "channel", "customer"}


# --- The Inbox --------------------------------------------------------------------------------------------
def test_inbox_searches_by_meaning_most_similar_first(cast, acme, login):
    response = login(cast.viewer).get("/inbox/", {"mode": "meaning", "q": QUERY})

    assert response.status_code == 200
    items = list(response.context["items"])
    assert {item.pk for item in items[:3]} == topic_ids(acme, "late")
    content = response.content.decode()
    assert "% similar" in content and "nearest in meaning" in content
    assert '<option value="meaning" selected>' in content


def test_inbox_by_meaning_keeps_the_other_filters(cast, acme, login):
    response = login(cast.viewer).get("/inbox/", {"mode": "meaning", "q": QUERY, "channel": "ticket"})
    items = list(response.context["items"])
    assert items and all(item.channel == "ticket" for item in items)


def test_inbox_words_mode_is_the_text_search_it_was(cast, acme, login):
    response = login(cast.viewer).get("/inbox/", {"mode": "words", "q": QUERY})
    assert list(response.context["items"]) == []  # no text contains those words
    assert "% similar" not in response.content.decode()


def test_drawer_links_to_similar_feedback_which_lists_it(cast, acme, login):
    client = login(cast.viewer)

    drawer = client.get(f"/inbox/{acme['vase-1']}/", headers={"HX-Request": "true"}).content.decode()
    assert f'href="/inbox/?like={acme["vase-1"]}"' in drawer and "Find similar feedback" in drawer

    response = client.get("/inbox/", {"like": acme["vase-1"]})
    items = list(response.context["items"])
    assert items[0].pk == acme["vase-2"] and acme["vase-1"] not in [item.pk for item in items]
    content = response.content.decode()
    assert "Feedback like" in content and "shattered" in content
    assert f'name="like" value="{acme["vase-1"]}"' in content  # the filters form keeps comparing


def test_inbox_like_an_item_keeps_a_words_search_as_a_filter(cast, acme, login):
    response = login(cast.viewer).get("/inbox/", {"like": acme["late-1"], "mode": "words", "q": "delayed"})
    assert [item.pk for item in response.context["items"]] == [acme["late-2"]]


def test_drawer_of_an_unread_item_has_no_similar_link(cast, login, post_feedback):
    item_id = post_feedback(text="Where is my parcel?").json()["id"]
    assert "Find similar feedback" not in login(cast.viewer).get(f"/inbox/{item_id}/").content.decode()


def test_inbox_by_meaning_says_when_nothing_has_been_read(cast, login, post_feedback):
    post_feedback(text="Where is my parcel?")
    response = login(cast.viewer).get("/inbox/", {"mode": "meaning", "q": QUERY})
    assert "No feedback has been read yet" in response.content.decode()
