"""The demo data: its volumes, that it is the same on every seed, that it is seeded once, and that the three
stories written down in cxloop/demo/retail.py are there to be found.

The full demo is seeded once for the demo's tests (the `demo` fixture of conftest.py, about 25 s) and removed
afterwards; the determinism test seeds a smaller company (scale 0.2) twice inside its own transaction. The
surveys step's own stories are held by test_demo_surveys.py.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cxloop.core.models import SeedStep
from cxloop.customers.models import Customer, Event, Identity
from cxloop.demo import retail as R
from cxloop.demo.seed import seed_demo
from cxloop.demo.texts import COMPLAINT, PRAISE
from cxloop.feedback.models import Answer, FeedbackItem
from cxloop.surveys.models import Response, Survey, SurveyVersion

# Keys of an item's metadata that hold database ids (they differ between databases and runs).
ROW_IDS = ("survey_id", "response_id")


def _without_ids(metadata: dict) -> dict:
    return {k: v for k, v in metadata.items() if k not in ROW_IDS}


def _digest() -> str:
    """A fingerprint of everything the seed decides: customers, events, feedback texts and scores, surveys
    and their responses (row ids and the responses' secret tokens left out)."""
    h = hashlib.sha256()
    for row in Customer.objects.order_by("email").values_list(
        "email", "name", "plan", "segment", "country", "region", "lifetime_value", "signup_at", "consent"
    ):
        h.update(repr(row).encode())
    for row in Event.objects.order_by("source", "external_id").values_list(
        "source", "external_id", "name", "occurred_at", "properties", "customer__email"
    ):
        h.update(repr(row[:4]).encode() + json.dumps(row[4], sort_keys=True).encode() + repr(row[5]).encode())
    answers = defaultdict(list)
    for item_id, key, value, text in Answer.objects.values_list("item_id", "key", "value", "text"):
        answers[item_id].append((key, value, text))
    for item in FeedbackItem.objects.order_by("source", "external_id").select_related("customer"):
        h.update(
            repr(
                (
                    item.source,
                    item.external_id,
                    item.channel,
                    item.touchpoint,
                    item.language,
                    item.occurred_at,
                    item.title,
                    item.text,
                    item.customer.email if item.customer else None,
                    sorted(answers[item.pk]),
                )
            ).encode()
            + json.dumps(_without_ids(item.metadata), sort_keys=True).encode()
        )
    for row in Survey.objects.order_by("name").values_list(
        "name", "template", "touchpoint", "status", "created_at", "updated_at", "definition"
    ):
        h.update(repr(row[:6]).encode() + json.dumps(row[6], sort_keys=True).encode())
    for row in SurveyVersion.objects.order_by("survey__name", "number").values_list(
        "survey__name", "number", "created_at", "definition"
    ):
        h.update(repr(row[:3]).encode() + json.dumps(row[3], sort_keys=True).encode())
    emails = dict(Customer.objects.values_list("pk", "email"))
    responses = Response.objects.select_related("survey", "version", "feedback_item").order_by(
        "feedback_item__source", "feedback_item__external_id"
    )
    for r in responses:
        state = dict(r.state)
        if "customer_id" in state:
            state["customer_id"] = emails[state["customer_id"]]
        h.update(
            repr(
                (
                    r.survey.name,
                    r.version.number,
                    r.feedback_item.source,
                    r.feedback_item.external_id,
                    r.via,
                    r.language,
                    r.page,
                    r.last_question,
                    r.answered,
                    r.status,
                    r.ending,
                    r.started_at,
                    r.updated_at,
                    r.completed_at,
                )
            ).encode()
            + json.dumps(state, sort_keys=True).encode()
        )
    return h.hexdigest()


def _remove_demo() -> None:
    Response.objects.all().delete()
    Survey.objects.all().delete()
    Answer.objects.all().delete()
    FeedbackItem.objects.all().delete()
    Event.objects.all().delete()
    Identity.objects.all().delete()
    Customer.objects.all().delete()
    SeedStep.objects.all().delete()


def test_seed_is_the_same_every_time_on_the_same_day(db, tmp_path):
    _remove_demo()  # in case the full demo of this module is already there (rolled back at the end)
    now = timezone.now()
    earlier_today = max(now - timedelta(hours=1), now.replace(hour=0, minute=0, second=0, microsecond=0))
    digests = []
    for run, moment in enumerate((now, earlier_today)):
        savepoint = transaction.savepoint()
        folder = tmp_path / str(run)
        folder.mkdir()
        seed_demo(data_dir=folder, scale=0.2, now=moment)
        assert 350 <= Customer.objects.count() <= 450
        assert Survey.objects.count() == 5 and Response.objects.count() > 1000
        digests.append(_digest())
        transaction.savepoint_rollback(savepoint)
    assert digests[0] == digests[1]


def test_volumes_are_those_of_a_mid_sized_shop(demo, db):
    counts = demo["first"]
    assert 1_800 <= counts["customers"] <= 2_200
    assert 45_000 <= counts["events"] <= 55_000
    # ~10,000 items of the feedback step, then the surveys step's partial responses, exit answers and staff
    # rounds (each its own item; the feedback step's items are all completed responses)
    partial = Q(survey_response__status=Response.Status.PARTIAL)
    own = Q(source__in=["Exit survey", "Employee NPS (eNPS)"])
    added = FeedbackItem.objects.filter(partial | own).count()
    assert 9_000 <= counts["feedback"] - added <= 11_000
    assert 500 <= added <= 1_100
    sources = Counter(FeedbackItem.objects.values_list("channel", "source"))
    for channel_source in [
        ("survey", "Relationship NPS"),
        ("survey", "Post-delivery CSAT"),
        ("survey", "Post-support CES"),
        ("survey", "Exit survey"),
        ("survey", "Employee NPS (eNPS)"),
        ("review", "Trustpilot"),
        ("review", "App Store"),
        ("review", "Google Play"),
        ("ticket", "Zendesk"),
        ("social", "X"),
        ("social", "Instagram"),
        ("chat", "Live chat"),
        ("call", "Customer interviews"),
    ]:
        assert sources[channel_source] > 0, channel_source
    assert 5 <= sources[("call", "Customer interviews")] <= 20
    languages = Counter(FeedbackItem.objects.values_list("language", flat=True))
    assert set(languages) == {"en", "fr", "de"}
    assert 20 <= languages["fr"] + languages["de"] <= 80
    assert FeedbackItem.objects.filter(customer__isnull=False).count() >= 0.75 * counts["feedback"]
    names = set(Event.objects.values_list("name", flat=True).distinct())
    assert names == {
        "order_placed",
        "order_shipped",
        "order_delivered",
        "return_requested",
        "return_refunded",
        "ticket_opened",
        "ticket_solved",
        "app_opened",
        "subscription_cancelled",
    }
    assert set(Event.objects.values_list("source", flat=True).distinct()) == {"shop", "zendesk", "app"}


def test_nothing_happens_today_or_later_and_all_is_within_the_year(demo, db):
    cal = demo["cal"]
    for model in (Event, FeedbackItem):
        assert not model.objects.filter(occurred_at__gte=cal.today).exists()
        assert not model.objects.filter(occurred_at__lt=cal.start).exists()
    assert not Customer.objects.filter(signup_at__lt=cal.today - timedelta(days=3 * 365 + 1)).exists()


def test_customers_look_like_a_uk_shops(demo, db):
    customers = Customer.objects.all()
    segments = Counter(customers.values_list("segment", flat=True))
    assert set(segments) == {"new", "loyal", "vip", "at_risk"}
    assert segments["vip"] < 0.05 * len(customers)
    ltv = defaultdict(list)
    for segment, value in customers.values_list("segment", "lifetime_value"):
        ltv[segment].append(float(value))
    assert sum(ltv["vip"]) / len(ltv["vip"]) > 5 * sum(ltv["loyal"]) / len(ltv["loyal"])
    countries = Counter(customers.values_list("country", flat=True))
    assert set(countries) == {"GB", "IE", "FR", "DE", "NL"}
    assert countries["GB"] > 0.65 * len(customers)
    gb_regions = set(customers.filter(country="GB").values_list("region", flat=True))
    assert {"London", "South East", "North West", "Scotland", "Midlands", "Wales"} <= gb_regions
    assert set(customers.values_list("plan", flat=True)) == {R.FREE_PLAN, R.MEMBER_PLAN}
    assert all(email.endswith(".example") for email in customers.values_list("email", flat=True))
    crm_ids = list(Identity.objects.filter(kind="external_id").values_list("value", flat=True))
    assert len(crm_ids) > 0.8 * len(customers)
    assert all(re.fullmatch(r"HT-\d{6}", value) for value in crm_ids)
    assert Identity.objects.filter(kind="phone").count() > 0.25 * len(customers)
    withdrawn = customers.filter(consent="withdrawn")
    assert 0 < withdrawn.count() < 0.15 * len(customers)
    for signup, unsubscribed in withdrawn.values_list("signup_at", "unsubscribed_at"):
        assert signup < unsubscribed < demo["cal"].today


def test_peak_season_and_january_returns(demo, db):
    cal = demo["cal"]

    def per_day(queryset, months):
        days = Counter()
        for i in range(365):
            days[cal.day(i).month] += 1
        count = sum(queryset.filter(occurred_at__month=m).count() for m in months)
        return count / sum(days[m] for m in months)

    ordinary = range(2, 11)
    feedback = FeedbackItem.objects.all()
    assert per_day(feedback, (11, 12)) > 1.3 * per_day(feedback, ordinary)
    returns = Event.objects.filter(name="return_requested")
    assert per_day(returns, (1,)) > 1.5 * per_day(returns, ordinary)


def _fragments(bank: dict[str, tuple[str, ...]]) -> list[str]:
    """The fixed openings of a bank's sentences (up to the first slot), long enough to be telling."""
    out = []
    for sentences in bank.values():
        for sentence in sentences:
            head = sentence.split("{")[0]
            if len(head) >= 15:
                out.append(head)
    return out


def test_scores_agree_with_their_texts(demo, db):
    praise, complaint = _fragments(PRAISE), _fragments(COMPLAINT)
    nps = Answer.objects.filter(key="nps").exclude(item__text="").values_list("value", "item__text")
    promoters = [text for value, text in nps if value >= 9]
    detractors = [text for value, text in nps if value <= 4]
    assert len(promoters) > 500 and len(detractors) > 300
    assert not [t for t in promoters if any(f in t for f in complaint)]
    assert not [t for t in detractors if any(f in t for f in praise)]
    ratings = Answer.objects.filter(key="rating", value=1, item__language="en").values_list(
        "item__text", flat=True
    )
    assert not [t for t in ratings if any(f in t for f in praise)]


def test_incident_in_the_north_west_four_months_ago(demo, db):
    cal = demo["cal"]
    start, end = cal.month_bounds(R.INCIDENT_MONTHS_BACK)
    delivered = Event.objects.filter(
        name="order_delivered",
        customer__region=R.INCIDENT_REGION,
        occurred_at__gte=start,
        occurred_at__lt=end,
    )
    late = [e.properties for e in delivered if e.properties["days_late"] >= 3]
    swiftparcel = [p for p in late if p["carrier"] == R.INCIDENT_CARRIER and 3 <= p["days_late"] <= 9]
    assert len(late) >= 40
    assert len(late) >= 0.6 * delivered.count()
    assert len(swiftparcel) >= 0.9 * len(late)

    def detractor_share(**filters):
        values = list(Answer.objects.filter(key="nps", **filters).values_list("value", flat=True))
        return sum(v <= 6 for v in values) / len(values), len(values)

    in_month = {"occurred_at__gte": start, "occurred_at__lt": end}
    north_west, answered = detractor_share(item__customer__region=R.INCIDENT_REGION, **in_month)
    elsewhere, _ = detractor_share(
        **in_month, item__customer__region__in=["London", "South East", "Midlands"]
    )
    north_west_other_months = Answer.objects.filter(
        key="nps", item__customer__region=R.INCIDENT_REGION
    ).exclude(occurred_at__gte=start, occurred_at__lt=end)
    values = list(north_west_other_months.values_list("value", flat=True))
    assert answered >= 25
    assert north_west >= 0.6
    assert north_west >= 2 * elsewhere
    assert north_west >= 2 * sum(v <= 6 for v in values) / len(values)
    csat = Answer.objects.filter(key="csat", item__customer__region=R.INCIDENT_REGION, **in_month)
    assert sum(csat.values_list("value", flat=True)) / csat.count() < 2.5
    mentions = FeedbackItem.objects.filter(
        customer__region=R.INCIDENT_REGION, text__icontains="tracking", **in_month
    ).count()
    assert mentions >= 20


def test_linen_edit_sizing_complaints_rise_month_over_month(demo, db):
    cal = demo["cal"]
    complaints = FeedbackItem.objects.filter(text__icontains="Linen Edit").filter(text__icontains="small")
    per_month = []
    for back in (4, 3, 2, 1):
        start, end = cal.month_bounds(back)
        per_month.append(complaints.filter(occurred_at__gte=start, occurred_at__lt=end).count())
    assert per_month == sorted(per_month) and len(set(per_month)) == 4, per_month
    assert per_month[-1] >= 3 * per_month[0] > 0
    launch = cal.month_start(R.LINEN_LAUNCH_MONTHS_BACK)
    assert not FeedbackItem.objects.filter(text__icontains="Linen Edit", occurred_at__lt=launch).exists()


def test_detractors_recovered_by_the_support_team_answer_again(demo, db):
    follow_ups = FeedbackItem.objects.filter(metadata__has_key="follow_up_of").prefetch_related("answers")
    assert 100 <= len(follow_ups) <= 200
    earlier = {
        i.external_id: i
        for i in FeedbackItem.objects.filter(
            source="Relationship NPS", external_id__in=[f.metadata["follow_up_of"] for f in follow_ups]
        ).prefetch_related("answers")
    }
    for item in follow_ups:
        before = earlier[item.metadata["follow_up_of"]]
        score = {a.key: a.value for a in item.answers.all()}["nps"]
        score_before = {a.key: a.value for a in before.answers.all()}["nps"]
        assert item.source == "Relationship NPS"
        assert item.customer_id is not None and item.customer_id == before.customer_id
        assert 30 <= (item.occurred_at - before.occurred_at).days <= 90
        assert score_before <= 6 < score
        assert "support team" in item.text


def test_seeding_again_adds_nothing(demo, db):
    assert demo["second"] == demo["first"]


def test_the_shop_reads_its_texts_with_a_taxonomy_and_its_support_intents(demo, db):
    from cxloop.analysis.models import Enrichment, Intent, IntentModel, IntentReading, Theme, ThemeMention

    assert Theme.objects.filter(parent=None, name="Delivery").exists()
    assert Intent.objects.count() == 6
    assert all(i.examples.count() >= 6 for i in Intent.objects.all())
    # the test settings run tasks inline: the reading and the intent training happened during the seed
    assert Enrichment.objects.filter(status="done").count() >= 5_000
    late = ThemeMention.objects.filter(theme__name="Late delivery", sentiment="negative")
    assert late.count() >= 200
    model = IntentModel.objects.get()
    assert model.status == "ready" and model.cv_accuracy is not None and model.cv_accuracy >= 0.6
    assert IntentReading.objects.filter(item__channel__in=["ticket", "chat", "email"]).exists()
    assert not IntentReading.objects.exclude(item__channel__in=["ticket", "chat", "email"]).exists()


def test_the_team_set_targets_an_alert_that_fired_after_the_incident_and_a_weekly_report(demo, db):
    from cxloop.metrics import targets
    from cxloop.metrics.models import MetricAlert, MetricTarget, ScheduledReport
    from cxloop.notifications.models import Notification

    assert MetricTarget.objects.count() == 4
    ws = MetricTarget.objects.first().workspace
    statuses = {s.target.name: s.status for s in targets.targets_with_status(workspace=ws)}
    assert all(status not in ("no_data", "too_few") for status in statuses.values()), statuses
    alert = MetricAlert.objects.get()
    assert alert.last_result["status"] == "fired", alert.last_result
    july = demo["cal"].month_start(4).date()
    assert alert.last_fired_period == july
    fired = Notification.objects.filter(workspace=ws)
    assert fired.count() == 2 and all("North West" in n.title for n in fired)
    assert ScheduledReport.objects.get().next_run_at is not None
    from cxloop.boards.models import Dashboard

    assert sorted(Dashboard.objects.filter(shared=True).values_list("name", flat=True)) == [
        "Executive",
        "Team lead",
    ]
