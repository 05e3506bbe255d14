"""Who may be asked: unsubscribed, consent withdrawn, no address, bounced, and the contact-frequency rule (no
customer asked more than once per N days across all surveys and channels), in the check and the preview."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cxloop.core.exceptions import ServiceError
from cxloop.customers.models import Customer
from cxloop.outreach import services
from cxloop.outreach.audience import Audience
from cxloop.outreach.models import Bounce, Contact

from .helpers import customer, send

pytestmark = pytest.mark.django_db


def _asked_days_ago(workspace, person, days, channel="email"):
    contact = services.contact_record(workspace=workspace, customer_id=person.pk, channel=channel)
    Contact.objects.filter(pk=contact.pk).update(contacted_at=timezone.now() - timedelta(days=days))


def test_contacted_3_days_ago_with_a_30_day_cooldown_is_suppressed_with_that_reason(login, cast, nps_survey):
    recent = customer(cast.workspace, "recent@example.com", name="Recent")
    customer(cast.workspace, "fresh@example.com", name="Fresh")
    _asked_days_ago(cast.workspace, recent, 3)

    preview = services.audience_preview(workspace=cast.workspace, audience=Audience(), channel="email")
    assert (preview.targeted, preview.allowed, preview.suppressed) == (2, 1, {"cooldown": 1})
    assert preview.reasons() == [("cooldown", "Asked in the last 30 days (any survey, any channel)", 1)]

    page = login(cast.analyst).post(
        f"/surveys/{nps_survey.pk}/invite/", {"action": "preview", "audience": "all", "channel": "email"}
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert "<strong>1</strong> of 2 customers would get an invitation; <strong>1</strong> suppressed" in text
    assert "<td>Asked in the last 30 days (any survey, any channel)</td><td>1</td>" in text

    campaign = send(cast.workspace, nps_survey)
    assert campaign.suppressed == {"cooldown": 1}
    assert list(campaign.invitations.values_list("address", flat=True)) == ["fresh@example.com"]


def test_the_rule_counts_every_survey_and_channel_and_ends_after_the_cooldown(cast):
    widget = customer(cast.workspace, "widget@example.com")
    old = customer(cast.workspace, "old@example.com")
    _asked_days_ago(cast.workspace, widget, 1, channel="widget")
    _asked_days_ago(cast.workspace, old, 31)
    checked = services.contact_check(
        workspace=cast.workspace, customer_ids=[widget.pk, old.pk], channel="email"
    )
    assert checked == {widget.pk: "cooldown", old.pk: None}

    services.outreach_settings_update(workspace=cast.workspace, actor=None, cooldown_days=0)
    checked = services.contact_check(
        workspace=cast.workspace, customer_ids=[widget.pk, old.pk], channel="email"
    )
    assert checked == {widget.pk: None, old.pk: None}


def test_a_campaign_counts_as_a_contact_for_the_next_one(cast, nps_survey, relationship_nps):
    customer(cast.workspace, "ana@example.com")
    send(cast.workspace, nps_survey)
    with pytest.raises(ServiceError, match="all 1 customers of this audience are suppressed"):
        send(cast.workspace, relationship_nps)


def test_each_reason_is_named(cast):
    gone = customer(cast.workspace, "gone@example.com")
    Customer.objects.filter(pk=gone.pk).update(unsubscribed_at=timezone.now())
    withdrawn = customer(cast.workspace, "withdrawn@example.com")
    Customer.objects.filter(pk=withdrawn.pk).update(consent="withdrawn")
    no_email = customer(cast.workspace, None, external_id="crm-1", name="No email")
    bounced = customer(cast.workspace, "bounced@example.com")
    Bounce.objects.create(workspace=cast.workspace, address="bounced@example.com", source="webhook")
    phone_only = customer(cast.workspace, None, phone="+49 151 1234567")
    ok = customer(cast.workspace, "ok@example.com")
    foreign = customer(cast.other_workspace, "ok@example.com")
    ids = [gone.pk, withdrawn.pk, no_email.pk, bounced.pk, phone_only.pk, ok.pk, foreign.pk]

    by_email = services.contact_check(workspace=cast.workspace, customer_ids=ids, channel="email")
    assert by_email == {
        gone.pk: "unsubscribed",
        withdrawn.pk: "consent_withdrawn",
        no_email.pk: "no_email",
        bounced.pk: "bounced",
        phone_only.pk: "no_email",
        ok.pk: None,
        foreign.pk: "unknown",
    }
    by_sms = services.contact_check(workspace=cast.workspace, customer_ids=ids, channel="sms")
    assert by_sms[phone_only.pk] is None and by_sms[ok.pk] == "no_phone" and by_sms[bounced.pk] == "no_phone"
    by_widget = services.contact_check(workspace=cast.workspace, customer_ids=ids, channel="widget")
    assert by_widget[no_email.pk] is None and by_widget[gone.pk] == "unsubscribed"


def test_an_email_identity_serves_when_the_profile_has_no_primary_email(cast, nps_survey):
    person = customer(cast.workspace, "first@example.com")
    Customer.objects.filter(pk=person.pk).update(email="")
    assert services.contact_check(workspace=cast.workspace, customer_ids=[person.pk], channel="email") == {
        person.pk: None
    }
    campaign = send(cast.workspace, nps_survey)
    assert campaign.invitations.get().address == "first@example.com"


def test_segment_and_pasted_list_audiences(cast):
    customer(cast.workspace, "a@example.com", segment="enterprise", country="DE")
    customer(cast.workspace, "b@example.com", segment="enterprise", country="FR")
    c = customer(cast.workspace, "c@example.com", segment="smb", country="DE")
    segment = Audience(kind="segment", segment="Enterprise", country="de")
    assert services.audience_preview(workspace=cast.workspace, audience=segment, channel="email").allowed == 1

    pasted = Audience(kind="list", entries=f"A@Example.com, {c.pk}\nnobody@example.com; 999999\n\n")
    preview = services.audience_preview(workspace=cast.workspace, audience=pasted, channel="email")
    assert (preview.targeted, preview.allowed) == (2, 2)
    assert preview.unmatched == ["999999", "nobody@example.com"]


def test_a_pasted_entry_that_is_neither_email_nor_id_is_named_with_its_line(cast):
    with pytest.raises(ServiceError, match=r"Line 2: 'ana-at-example\.com' is neither an email address"):
        services.audience_preview(
            workspace=cast.workspace,
            audience=Audience(kind="list", entries="ok@example.com\nana-at-example.com"),
            channel="email",
        )


def test_a_merged_customer_counts_as_the_one_it_was_merged_into(cast):
    from cxloop.customers.services import customer_merge

    keep = customer(cast.workspace, "keep@example.com")
    gone = customer(cast.workspace, "gone@example.com")
    customer_merge(workspace=cast.workspace, keep_id=keep.pk, merge_id=gone.pk)
    pasted = Audience(kind="list", entries=f"{gone.pk}\ngone@example.com\nkeep@example.com")
    preview = services.audience_preview(workspace=cast.workspace, audience=pasted, channel="email")
    assert (preview.targeted, preview.allowed, preview.unmatched) == (1, 1, [])


def test_a_merged_away_profile_s_unsubscribe_and_contacts_still_count(cast):
    from cxloop.customers.services import customer_merge

    keep = customer(cast.workspace, "keep@example.com")
    asked = customer(cast.workspace, "asked@example.com")
    _asked_days_ago(cast.workspace, asked, 3)
    customer_merge(workspace=cast.workspace, keep_id=keep.pk, merge_id=asked.pk)
    other = customer(cast.workspace, "other@example.com")
    gone = customer(cast.workspace, "gone@example.com")
    Customer.objects.filter(pk=gone.pk).update(unsubscribed_at=timezone.now())
    customer_merge(workspace=cast.workspace, keep_id=other.pk, merge_id=gone.pk)
    checked = services.contact_check(
        workspace=cast.workspace, customer_ids=[keep.pk, other.pk], channel="email"
    )
    assert checked == {keep.pk: "cooldown", other.pk: "unsubscribed"}


def test_erasing_a_customer_removes_their_address_from_the_bounce_list(cast):
    from cxloop.customers.services import customer_erase
    from cxloop.outreach.models import Bounce
    from cxloop.outreach.services import bounces_record

    from .helpers import customer

    gone = customer(cast.workspace, "gone@shop.example")
    customer(cast.workspace, "stays@shop.example")
    bounces_record(workspace=cast.workspace, emails=["gone@shop.example", "stays@shop.example"])
    customer_erase(workspace=cast.workspace, customer_id=gone.pk)
    assert list(Bounce.objects.values_list("address", flat=True)) == ["stays@shop.example"]
