"""Who is this customer? A reference in a feedback item or event finds an existing profile by any identity
(CRM id first, then email, phone, social handle), or creates one; identities are never taken from
another customer, and never matched across workspaces."""

from __future__ import annotations

from cxloop.customers.models import Customer, Identity
from cxloop.customers.schemas import CustomerRef
from cxloop.customers.services import customer_merge, customers_resolve
from cxloop.feedback.models import FeedbackItem
from cxloop.feedback.tests.helpers import assert_problem, feedback_body

BATCH = "/api/v1/feedback/batch"


def _customer_of(response) -> Customer:
    return Customer.objects.get(pk=response.json()["customer"]["id"])


def _owner(workspace, kind: str, value: str) -> Customer:
    return Identity.objects.get(workspace=workspace, kind=kind, value=value).customer


# --- Matching an existing customer --------------------------------------------------------------
def test_reference_matching_an_existing_email_attaches_to_that_customer(cast, post_feedback, make_customer):
    anna = make_customer(cast.workspace, email="anna@shop.example", name="Anna")

    response = post_feedback(customer={"email": "anna@shop.example"})

    assert _customer_of(response) == anna
    assert Customer.objects.filter(workspace=cast.workspace).count() == 1


def test_email_matches_whatever_its_case_and_spaces(cast, post_feedback, make_customer):
    anna = make_customer(cast.workspace, email="anna@shop.example")

    response = post_feedback(customer={"email": "  Anna@SHOP.example "})

    assert _customer_of(response) == anna


def test_phone_matches_whatever_its_formatting(cast, post_feedback, make_customer):
    anna = make_customer(cast.workspace, phone="+44 20 7946 0958")

    response = post_feedback(customer={"phone": "0044 (20) 7946-0958"})

    assert _customer_of(response) == anna


def test_reference_by_id_attaches_to_that_customer(cast, post_feedback, make_customer):
    anna = make_customer(cast.workspace, email="anna@shop.example")

    response = post_feedback(customer={"id": anna.pk})

    assert _customer_of(response) == anna


def test_reference_to_an_unknown_id_is_404_and_stores_nothing(cast, post_feedback):
    response = post_feedback(customer={"id": 987654})

    assert "987654" in assert_problem(response, 404)["detail"]
    assert not FeedbackItem.objects.exists()
    assert not Customer.objects.exists()


def test_known_customer_gains_the_new_identities_a_reference_brings(cast, post_feedback, make_customer):
    anna = make_customer(cast.workspace, email="anna@shop.example")

    post_feedback(customer={"email": "anna@shop.example", "external_id": "crm-1", "social": "twitter:@anna"})

    assert sorted(anna.identities.values_list("kind", "value")) == [
        ("email", "anna@shop.example"),
        ("external_id", "crm-1"),
        ("social", "twitter:@anna"),
    ]


def test_reference_updates_the_profile_fields_it_carries(cast, post_feedback, make_customer):
    anna = make_customer(cast.workspace, email="anna@shop.example", plan="free", name="Anna")

    post_feedback(customer={"email": "anna@shop.example", "plan": "gold", "attributes": {"vip": True}})

    anna.refresh_from_db()
    assert (anna.plan, anna.name, anna.attributes) == ("gold", "Anna", {"vip": True})


def test_reference_without_identity_or_name_leaves_the_item_anonymous(cast, post_feedback):
    response = post_feedback(customer={})

    assert response.json()["customer"] is None
    assert not Customer.objects.exists()


# --- Precedence and ownership -------------------------------------------------------------------
def test_external_id_takes_precedence_over_email(cast, post_feedback, make_customer):
    crm = make_customer(cast.workspace, external_id="crm-1", name="From the CRM")
    other = make_customer(cast.workspace, email="shared@shop.example", name="From a survey")

    response = post_feedback(customer={"email": "shared@shop.example", "external_id": "crm-1"})

    assert _customer_of(response) == crm
    assert _owner(cast.workspace, "email", "shared@shop.example") == other


def test_identity_owned_by_another_customer_is_not_stolen(cast, post_feedback, make_customer):
    anna = make_customer(cast.workspace, external_id="crm-1", email="anna@shop.example")
    bob = make_customer(cast.workspace, external_id="crm-2", phone="+15550001111")

    response = post_feedback(customer={"external_id": "crm-1", "phone": "+1 555 000 1111"})

    assert _customer_of(response) == anna
    assert _owner(cast.workspace, "phone", "+15550001111") == bob
    assert sorted(anna.identities.values_list("value", flat=True)) == ["anna@shop.example", "crm-1"]
    assert Identity.objects.filter(workspace=cast.workspace).count() == 4


def test_merged_customers_identity_finds_the_kept_customer(cast, post_feedback, make_customer):
    anna = make_customer(cast.workspace, email="anna@shop.example")
    duplicate = make_customer(cast.workspace, email="anna.berg@work.example")
    customer_merge(workspace=cast.workspace, keep_id=anna.pk, merge_id=duplicate.pk)

    by_email = post_feedback(external_id="t-1", customer={"email": "anna.berg@work.example"})
    by_id = post_feedback(external_id="t-2", customer={"id": duplicate.pk})

    assert _customer_of(by_email) == anna
    assert _customer_of(by_id) == anna


# --- Several references in one batch ------------------------------------------------------------
def test_two_references_with_the_same_new_email_in_one_batch_become_one_customer(cast, api, acme_key):
    items = [
        feedback_body(external_id="t-1", customer={"email": "new@shop.example", "name": "New"}),
        feedback_body(external_id="t-2", customer={"email": "NEW@shop.example"}),
    ]

    response = api("post", BATCH, key=acme_key, json={"items": items})

    assert response.status_code == 201
    customer = Customer.objects.get(workspace=cast.workspace)
    assert customer.name == "New"
    assert set(FeedbackItem.objects.values_list("customer_id", flat=True)) == {customer.pk}
    assert list(customer.identities.values_list("value", flat=True)) == ["new@shop.example"]


def test_references_linked_by_a_shared_identity_in_one_batch_become_one_customer(cast, api, acme_key):
    items = [
        feedback_body(external_id="t-1", customer={"external_id": "crm-7"}),
        feedback_body(external_id="t-2", customer={"external_id": "crm-7", "email": "seven@shop.example"}),
        feedback_body(external_id="t-3", customer={"email": "seven@shop.example"}),
    ]

    api("post", BATCH, key=acme_key, json={"items": items})

    customer = Customer.objects.get(workspace=cast.workspace)
    assert FeedbackItem.objects.filter(customer=customer).count() == 3
    assert sorted(customer.identities.values_list("value", flat=True)) == ["crm-7", "seven@shop.example"]


def test_different_new_customers_in_one_batch_stay_apart(cast, api, acme_key):
    items = [feedback_body(external_id=f"t-{i}", customer={"email": f"c{i}@shop.example"}) for i in range(5)]

    api("post", BATCH, key=acme_key, json={"items": items})

    assert Customer.objects.filter(workspace=cast.workspace).count() == 5
    assert Identity.objects.filter(workspace=cast.workspace).count() == 5


def test_batch_mixing_known_and_new_customers_creates_only_the_new_ones(cast, api, acme_key, make_customer):
    anna = make_customer(cast.workspace, email="anna@shop.example")
    items = [
        feedback_body(external_id="t-1", customer={"email": "anna@shop.example"}),
        feedback_body(external_id="t-2", customer={"email": "new@shop.example"}),
        feedback_body(external_id="t-3", customer=...),
    ]

    rows = api("post", BATCH, key=acme_key, json={"items": items}).json()["items"]

    customers = [FeedbackItem.objects.get(pk=row["id"]).customer for row in rows]
    assert customers[0] == anna
    assert customers[1] not in (None, anna)
    assert customers[2] is None
    assert Customer.objects.filter(workspace=cast.workspace).count() == 2


def test_resolve_answers_one_result_per_reference_in_order(cast, make_customer):
    anna = make_customer(cast.workspace, email="anna@shop.example")
    refs = [
        CustomerRef(email="new@shop.example"),
        None,
        CustomerRef(email="anna@shop.example"),
        CustomerRef(email="new@shop.example"),
    ]

    results = customers_resolve(workspace=cast.workspace, refs=refs)

    assert results[1] is None
    assert results[2] == anna
    assert results[0] is results[3]
    assert results[0].pk is not None
    assert results[0].was_created


# --- Workspaces ---------------------------------------------------------------------------------
def test_identities_are_never_matched_across_workspaces(cast, post_feedback, other_key, make_customer):
    anna = make_customer(cast.workspace, external_id="crm-1", email="anna@shop.example")

    response = post_feedback(key=other_key, customer={"external_id": "crm-1", "email": "anna@shop.example"})

    other_anna = _customer_of(response)
    assert other_anna.workspace == cast.other_workspace
    assert other_anna != anna
    assert _owner(cast.workspace, "email", "anna@shop.example") == anna
    assert _owner(cast.other_workspace, "email", "anna@shop.example") == other_anna


def test_same_identity_may_belong_to_one_customer_per_workspace(cast, make_customer):
    acme = make_customer(cast.workspace, email="anna@shop.example")
    other = make_customer(cast.other_workspace, email="anna@shop.example")

    assert acme.pk != other.pk
    assert Identity.objects.filter(value="anna@shop.example").count() == 2
