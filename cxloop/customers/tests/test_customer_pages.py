"""Customer pages: the searchable list, the profile with identities and one timeline, and the actions on
it with the role each needs (merge: analyst and up; export: the export permission; erase: owner and
admin). Nobody reaches another workspace's customers."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cxloop.accounts.models import AuditEvent
from cxloop.customers.models import Customer
from cxloop.feedback.tests.helpers import audit_actions, feedback_body, ingest, store_state

ROLES = ["owner", "admin", "analyst", "agent", "viewer"]


# --- List ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_every_member_sees_the_customer_list(cast, login, acme_world, role):
    response = login(cast.user(role)).get("/customers/")

    assert response.status_code == 200
    assert [c.pk for c in response.context["customers"]] == [acme_world.bob.pk, acme_world.anna.pk]
    assert "Anna Berg" in response.content.decode()


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("anna", ["anna"]),
        ("Berg", ["anna"]),
        ("bob@shop", ["bob"]),
        ("crm-1", ["anna"]),
        ("shop.example", ["bob", "anna"]),
        ("zzz", []),
    ],
)
def test_customer_search_finds_by_name_or_identity(cast, login, acme_world, q, expected):
    response = login(cast.viewer).get(f"/customers/?q={q}")

    assert [c.pk for c in response.context["customers"]] == [getattr(acme_world, n).pk for n in expected]
    assert f'value="{q}"' in response.content.decode()


def test_customer_list_says_so_when_nothing_matches(cast, login, acme_world):
    response = login(cast.viewer).get("/customers/?q=zzz")

    assert "No customers match." in response.content.decode()


def test_customer_list_with_garbage_cursor_says_so(cast, login, acme_world):
    response = login(cast.viewer).get("/customers/?cursor=garbage")

    assert response.status_code == 200
    assert "The cursor is not valid" in response.content.decode()


def test_customer_list_query_count_does_not_grow_with_the_customers(
    cast, login, make_customer, django_assert_num_queries
):
    client = login(cast.viewer)
    for i in range(5):
        make_customer(cast.workspace, email=f"c{i}@shop.example", external_id=f"crm-{i}", name=f"C {i}")
    with CaptureQueriesContext(connection) as five:
        assert len(client.get("/customers/").context["customers"]) == 5
    for i in range(5, 50):
        make_customer(cast.workspace, email=f"c{i}@shop.example", external_id=f"crm-{i}", name=f"C {i}")

    with django_assert_num_queries(len(five)):
        assert len(client.get("/customers/").context["customers"]) == 50


# --- Profile ------------------------------------------------------------------------------------
def test_profile_shows_identities_and_a_timeline_of_feedback_and_events(cast, login, acme_world):
    response = login(cast.viewer).get(f"/customers/{acme_world.anna.pk}/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "<code>crm-1</code>" in content
    assert "<code>anna@shop.example</code>" in content
    assert "2 feedback items, 2 events." in content
    timeline = response.context["timeline"]
    assert sorted(kind for kind, _ in timeline) == ["event", "event", "feedback", "feedback"]
    moments = [obj.occurred_at for _, obj in timeline]
    assert moments == sorted(moments, reverse=True)
    assert "Anna&#x27;s broken parcel" in content
    assert "order_delivered" in content
    assert "Bob is happy" not in content


def test_profile_of_a_merged_id_redirects_to_the_kept_profile(cast, login, acme_world):
    from cxloop.customers.services import customer_merge

    customer_merge(workspace=cast.workspace, keep_id=acme_world.anna.pk, merge_id=acme_world.bob.pk)

    response = login(cast.viewer).get(f"/customers/{acme_world.bob.pk}/")

    assert response.status_code == 302
    assert response["Location"] == f"/customers/{acme_world.anna.pk}/"


def test_profile_of_an_unknown_customer_is_404(cast, login, db):
    assert login(cast.viewer).get("/customers/987654/").status_code == 404


@pytest.mark.parametrize(
    ("role", "merge", "export", "erase"),
    [
        ("owner", True, True, True),
        ("admin", True, True, True),
        ("analyst", True, True, False),
        ("agent", False, False, False),
        ("viewer", False, False, False),
    ],
)
def test_profile_offers_only_the_actions_the_role_may_take(
    cast, login, acme_world, role, merge, export, erase
):
    content = login(cast.user(role)).get(f"/customers/{acme_world.anna.pk}/").content.decode()

    assert (f"/customers/{acme_world.anna.pk}/merge/" in content) is merge
    assert (f"/customers/{acme_world.anna.pk}/export/" in content) is export
    assert (f"/customers/{acme_world.anna.pk}/erase/" in content) is erase


# --- Merge --------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["owner", "admin", "analyst"])
def test_analyst_and_up_may_merge_a_duplicate_found_by_email(cast, login, acme_world, role):
    anna, bob = acme_world.anna, acme_world.bob

    response = login(cast.user(role)).post(f"/customers/{anna.pk}/merge/", {"other": "BOB@shop.example"})

    assert response.status_code == 302
    assert response["Location"] == f"/customers/{anna.pk}/"
    bob.refresh_from_db()
    assert bob.merged_into == anna
    event = AuditEvent.objects.get(workspace=cast.workspace, action="customer.merged")
    assert event.actor == cast.user(role)


def test_merge_by_id_is_confirmed_on_the_profile(cast, login, acme_world):
    client = login(cast.analyst)

    response = client.post(
        f"/customers/{acme_world.anna.pk}/merge/", {"other": str(acme_world.bob.pk)}, follow=True
    )

    assert f"Merged customer {acme_world.bob.pk} into this profile." in response.content.decode()
    assert "<code>bob@shop.example</code> <small>(from a merged profile)</small>" in response.content.decode()


@pytest.mark.parametrize("other", ["nobody@shop.example", "987654", ""])
def test_merge_with_an_unknown_other_customer_says_so_and_changes_nothing(cast, login, acme_world, other):
    response = login(cast.analyst).post(
        f"/customers/{acme_world.anna.pk}/merge/", {"other": other}, follow=True
    )

    assert "No customer found" in response.content.decode()
    assert store_state(cast.workspace) == acme_world.before


def test_merge_into_itself_says_so_and_changes_nothing(cast, login, acme_world):
    response = login(cast.analyst).post(
        f"/customers/{acme_world.anna.pk}/merge/", {"other": "anna@shop.example"}, follow=True
    )

    assert "cannot be merged into itself" in response.content.decode()
    assert store_state(cast.workspace) == acme_world.before


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_agent_and_viewer_may_not_merge(cast, login, acme_world, role):
    response = login(cast.user(role)).post(
        f"/customers/{acme_world.anna.pk}/merge/", {"other": "bob@shop.example"}
    )

    assert response.status_code == 403
    assert store_state(cast.workspace) == acme_world.before


def test_merge_by_get_is_refused(cast, login, acme_world):
    response = login(cast.analyst).get(f"/customers/{acme_world.anna.pk}/merge/?other=bob@shop.example")

    assert response.status_code == 405
    assert store_state(cast.workspace) == acme_world.before


# --- Export -------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["owner", "admin", "analyst"])
def test_export_answers_json_with_all_feedback_and_events(cast, login, acme_world, role):
    response = login(cast.user(role)).get(f"/customers/{acme_world.anna.pk}/export/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="customer-{acme_world.anna.pk}.json"'
    assert response["Cache-Control"] == "no-store"
    data = json.loads(response.content)
    assert data["customer"]["id"] == acme_world.anna.pk
    assert sorted(f["id"] for f in data["feedback"]) == sorted(i.pk for i in acme_world.items[:2])
    assert [e["external_id"] for e in data["events"]] == ["o-1", "o-2"]
    assert {i["value"] for i in data["identities"]} == {"crm-1", "anna@shop.example"}


def test_export_is_audited_with_the_person(cast, login, acme_world):
    login(cast.analyst).get(f"/customers/{acme_world.anna.pk}/export/")

    event = AuditEvent.objects.get(workspace=cast.workspace, action="export")
    assert (event.actor, event.target) == (cast.analyst, f"customer {acme_world.anna.pk}")


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_agent_and_viewer_may_not_export(cast, login, acme_world, role):
    response = login(cast.user(role)).get(f"/customers/{acme_world.anna.pk}/export/")

    assert response.status_code == 403
    assert "Anna" not in response.content.decode()
    assert "export" not in audit_actions(cast.workspace)


def test_export_of_an_unknown_customer_is_404(cast, login, db):
    assert login(cast.analyst).get("/customers/987654/export/").status_code == 404


# --- Erase --------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owner_and_admin_may_erase_a_customer_and_their_data(cast, login, acme_world, role):
    anna = acme_world.anna

    response = login(cast.user(role)).post(f"/customers/{anna.pk}/erase/", follow=True)

    assert response.redirect_chain == [("/customers/", 302)]
    assert f"Customer {anna.pk} erased" in response.content.decode()
    state = store_state(cast.workspace)
    assert [c[0] for c in state["customers"]] == [acme_world.bob.pk]
    assert [f[0] for f in state["feedback"]] == [acme_world.items[2].pk]
    assert state["events"] == []
    event = AuditEvent.objects.get(workspace=cast.workspace, action="customer.erased")
    assert event.actor == cast.user(role)


@pytest.mark.parametrize("role", ["analyst", "agent", "viewer"])
def test_analyst_agent_and_viewer_may_not_erase(cast, login, acme_world, role):
    response = login(cast.user(role)).post(f"/customers/{acme_world.anna.pk}/erase/")

    assert response.status_code == 403
    assert store_state(cast.workspace) == acme_world.before


def test_erase_by_get_is_refused(cast, login, acme_world):
    response = login(cast.owner).get(f"/customers/{acme_world.anna.pk}/erase/")

    assert response.status_code == 405
    assert store_state(cast.workspace) == acme_world.before


def test_erase_of_an_unknown_customer_is_404(cast, login, db):
    assert login(cast.owner).post("/customers/987654/erase/").status_code == 404


# --- Logged out and outsiders -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/customers/"),
        ("get", "/customers/{anna}/"),
        ("post", "/customers/{anna}/merge/"),
        ("get", "/customers/{anna}/export/"),
        ("post", "/customers/{anna}/erase/"),
    ],
)
def test_logged_out_visitor_is_sent_to_login(client, acme_world, method, path):
    response = getattr(client, method)(path.format(anna=acme_world.anna.pk))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "/customers/{anna}/", None),
        ("get", "/customers/{bob}/", None),
        ("post", "/customers/{anna}/merge/", {"other": "{olga}"}),
        ("post", "/customers/{anna}/merge/", {"other": "olga@other.example"}),
        ("get", "/customers/{anna}/export/", None),
        ("post", "/customers/{anna}/erase/", None),
    ],
)
def test_outsider_gets_404_for_acme_customers(cast, login, acme_world, method, path, data):
    ids = {"anna": acme_world.anna.pk, "bob": acme_world.bob.pk, "olga": acme_world.olga.pk}
    data = {k: v.format(**ids) for k, v in (data or {}).items()}
    olga_before = store_state(cast.other_workspace)

    response = getattr(login(cast.outsider), method)(path.format(**ids), data)

    assert response.status_code == 404
    content = response.content.decode()
    for text in ("Anna Berg", "anna@shop.example", "Bob Stone", "broken parcel"):
        assert text not in content
    assert store_state(cast.workspace) == acme_world.before
    assert store_state(cast.other_workspace) == olga_before
    actions = audit_actions(cast.workspace) + audit_actions(cast.other_workspace)
    assert not {"customer.merged", "customer.erased", "export"} & set(actions)


@pytest.mark.parametrize("other", ["{anna}", "anna@shop.example", "crm-1"])
def test_outsider_cannot_merge_an_acme_customer_into_their_own(cast, login, acme_world, other):
    olga = acme_world.olga
    olga_before = store_state(cast.other_workspace)

    response = login(cast.outsider).post(
        f"/customers/{olga.pk}/merge/", {"other": other.format(anna=acme_world.anna.pk)}, follow=True
    )

    assert "No customer found" in response.content.decode()
    assert "anna@shop.example</code>" not in response.content.decode()
    assert store_state(cast.workspace) == acme_world.before
    assert store_state(cast.other_workspace) == olga_before


@pytest.mark.parametrize("q", ["", "anna", "shop.example", "crm-1", "Bob"])
def test_outsider_customer_list_never_shows_acme_customers(cast, login, acme_world, q):
    response = login(cast.outsider).get(f"/customers/?q={q}")

    assert [c.pk for c in response.context["customers"]] == ([acme_world.olga.pk] if q == "" else [])
    content = response.content.decode()
    for text in ("Anna Berg", "anna@shop.example", "Bob Stone"):
        assert text not in content


def test_outsider_profile_timeline_holds_only_its_own_data(cast, login, acme_world):
    ingest(
        cast.other_workspace,
        feedback_body(external_id="f-1", customer={"id": acme_world.olga.pk}, text="Olga's note"),
    )

    response = login(cast.outsider).get(f"/customers/{acme_world.olga.pk}/")

    content = response.content.decode()
    assert "Olga&#x27;s note" in content
    assert "parcel" not in content
    assert Customer.objects.get(pk=acme_world.olga.pk).workspace == cast.other_workspace


def test_outsider_merge_form_finds_their_own_customer_by_an_email_acme_also_has(
    cast, login, acme_world, make_customer
):
    own_anna = make_customer(cast.other_workspace, email="anna@shop.example", name="Other Anna")

    response = login(cast.outsider).post(
        f"/customers/{acme_world.olga.pk}/merge/", {"other": "anna@shop.example"}
    )

    assert response.status_code == 302
    own_anna.refresh_from_db()
    assert own_anna.merged_into == acme_world.olga
    assert store_state(cast.workspace) == acme_world.before


def test_profile_and_export_read_only_rows_of_their_own_workspace(cast, login, acme_world):
    """Even a row of another workspace that points at this customer (which no service writes) stays out:
    the workspace filter on every read is the wall, not the customer id alone."""
    from cxloop.customers.models import Event
    from cxloop.feedback.models import FeedbackItem

    stray = FeedbackItem.objects.create(
        workspace=cast.other_workspace,
        customer=acme_world.anna,
        channel="email",
        text="Stray row of Other Co",
        occurred_at=acme_world.items[0].occurred_at,
    )
    Event.objects.create(
        workspace=cast.other_workspace,
        customer=acme_world.anna,
        name="stray_event",
        occurred_at=stray.occurred_at,
    )
    client = login(cast.owner)

    profile = client.get(f"/customers/{acme_world.anna.pk}/").content.decode()
    export = json.loads(client.get(f"/customers/{acme_world.anna.pk}/export/").content)

    assert "Stray row" not in profile
    assert "stray_event" not in profile
    assert stray.pk not in [f["id"] for f in export["feedback"]]
    assert "stray_event" not in [e["name"] for e in export["events"]]
