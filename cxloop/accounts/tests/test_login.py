"""Login and logout: one generic error, throttling per account and per address, everything audited."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import Client

from conftest import PASSWORD
from cxloop.accounts.models import AuditEvent

from .helpers import has_csrf_field

GENERIC_ERROR = b"Email or password is incorrect."
LIMIT = 10  # settings.LOGIN_FAILURE_LIMIT
WINDOW = 15 * 60  # settings.LOGIN_FAILURE_WINDOW_SECONDS
T0 = 1_800_000_000.0  # a window start (divisible by WINDOW): the whole test runs inside one window


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """Pins the rate limiter's clock, so a test never straddles a window boundary and can move time on."""
    state = SimpleNamespace(now=T0 + 60)
    monkeypatch.setattr("cxloop.core.ratelimit.time", SimpleNamespace(time=lambda: state.now))
    return state


def post_login(email, password, ip="198.51.100.7", client=None, **data):
    client = client or Client()
    return client.post("/login/", {"email": email, "password": password, **data}, REMOTE_ADDR=ip)


def fail_times(n, email, ip="198.51.100.7"):
    for _ in range(n):
        response = post_login(email, "wrong password", ip=ip)
        assert response.status_code == 200


def test_login_page_shows_a_form_with_csrf_token(db, client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert b'name="email"' in response.content
    assert has_csrf_field(response)


def test_right_password_logs_in_and_goes_home(cast, client):
    response = post_login(cast.analyst.email, PASSWORD, client=client)
    assert response.status_code == 302
    assert response.url == "/"
    assert client.session["_auth_user_id"] == str(cast.analyst.pk)
    assert client.get("/").status_code == 200


def test_email_is_matched_case_insensitively(cast, client):
    response = post_login("Analyst@ACME.example", PASSWORD, client=client)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(cast.analyst.pk)


def test_login_follows_a_local_next_address(cast, client):
    response = post_login(cast.owner.email, PASSWORD, client=client, next="/settings/members/")
    assert response.status_code == 302
    assert response.url == "/settings/members/"


@pytest.mark.parametrize("next_url", ["https://evil.example/phish", "//evil.example/", "javascript:alert(1)"])
def test_login_ignores_a_next_address_on_another_site(cast, client, next_url):
    response = post_login(cast.owner.email, PASSWORD, client=client, next=next_url)
    assert response.status_code == 302
    assert response.url == "/"


def test_logged_in_user_opening_login_goes_home(cast, login):
    response = login(cast.viewer).get("/login/")
    assert response.status_code == 302
    assert response.url == "/"


def test_wrong_password_and_unknown_email_get_the_same_answer(cast):
    wrong_password = post_login(cast.owner.email, "not the password", ip="198.51.100.1")
    unknown_email = post_login("nobody@nowhere.example", "not the password", ip="198.51.100.2")
    assert wrong_password.status_code == unknown_email.status_code == 200
    for response in (wrong_password, unknown_email):
        assert GENERIC_ERROR in response.content
        assert "_auth_user_id" not in response.wsgi_request.session
    assert b"nobody@nowhere.example" in unknown_email.content  # the typed email is kept, nothing else differs


def test_empty_form_is_refused_with_the_generic_error(db):
    response = post_login("", "")
    assert response.status_code == 200
    assert GENERIC_ERROR in response.content


def test_successful_login_is_audited(cast):
    post_login(cast.agent.email, PASSWORD, ip="203.0.113.5")
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN)
    assert event.actor == cast.agent
    assert event.subject_user == cast.agent
    assert event.ip == "203.0.113.5"


def test_failed_login_is_audited_with_the_account_it_targeted(cast):
    post_login(cast.agent.email, "guess", ip="203.0.113.5")
    post_login("ghost@nowhere.example", "guess", ip="203.0.113.5")
    failures = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED).order_by("id")
    assert [(e.subject_user, e.target, e.ip) for e in failures] == [
        (cast.agent, cast.agent.email, "203.0.113.5"),
        (None, "ghost@nowhere.example", "203.0.113.5"),
    ]
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN).exists()


def test_eleventh_attempt_on_an_account_is_refused_even_with_the_right_password(cast):
    # Each failure from its own address: only the per-account limit is in play.
    for n in range(LIMIT):
        assert post_login(cast.owner.email, "wrong", ip=f"198.51.100.{n + 1}").status_code == 200

    client = Client()
    response = post_login(cast.owner.email, PASSWORD, ip="198.51.100.200", client=client)

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= WINDOW
    assert b"Too many failed attempts" in response.content
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.LOGIN_THROTTLED, subject_user=cast.owner
    ).exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN).exists()


def test_tenth_failure_is_still_answered_normally(cast):
    fail_times(LIMIT - 1, cast.owner.email)
    assert post_login(cast.owner.email, "wrong").status_code == 200
    assert post_login(cast.owner.email, PASSWORD).status_code == 429


def test_throttled_attempts_do_not_check_the_password_or_count_as_failures(cast):
    fail_times(LIMIT, cast.owner.email)
    before = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED).count()
    assert post_login(cast.owner.email, "wrong").status_code == 429
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED).count() == before


def test_other_accounts_are_not_locked_by_one_accounts_failures(cast):
    for n in range(LIMIT):
        post_login(cast.owner.email, "wrong", ip=f"198.51.100.{n + 1}")
    assert post_login(cast.admin.email, PASSWORD, ip="198.51.100.100").status_code == 302


def test_address_limit_applies_across_different_emails(cast):
    for n in range(LIMIT):
        assert post_login(f"guess{n}@nowhere.example", "wrong", ip="203.0.113.66").status_code == 200

    same_address = post_login(cast.viewer.email, PASSWORD, ip="203.0.113.66")
    other_address = post_login(cast.viewer.email, PASSWORD, ip="203.0.113.67")

    assert same_address.status_code == 429
    assert "Retry-After" in same_address
    assert other_address.status_code == 302


def test_login_works_again_once_the_window_has_passed(cast, clock):
    fail_times(LIMIT, cast.owner.email)
    assert post_login(cast.owner.email, PASSWORD).status_code == 429
    clock.now += WINDOW
    assert post_login(cast.owner.email, PASSWORD).status_code == 302


def test_retry_after_counts_down_to_the_end_of_the_window(cast, clock):
    fail_times(LIMIT, cast.owner.email)
    clock.now = T0 + WINDOW - 30
    response = post_login(cast.owner.email, PASSWORD)
    assert response.status_code == 429
    assert response["Retry-After"] == "30"


def test_successful_login_clears_the_accounts_failures(cast):
    for n in range(LIMIT - 1):
        post_login(cast.owner.email, "wrong", ip=f"198.51.100.{n + 1}")
    assert post_login(cast.owner.email, PASSWORD, ip="198.51.100.101").status_code == 302
    for n in range(LIMIT - 1):
        post_login(cast.owner.email, "wrong", ip=f"198.51.100.{n + 120}")
    assert post_login(cast.owner.email, PASSWORD, ip="198.51.100.102").status_code == 302


def test_logout_ends_the_session_and_is_audited(cast, login):
    client = login(cast.analyst)
    response = client.post("/logout/")
    assert response.status_code == 302
    assert response.url == "/login/"
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGOUT)
    assert event.actor == cast.analyst


def test_logout_is_not_possible_with_a_get_link(cast, login):
    client = login(cast.analyst)
    assert client.get("/logout/").status_code == 405
    assert client.session["_auth_user_id"] == str(cast.analyst.pk)


def test_anonymous_logout_just_goes_to_login(db, client):
    response = client.post("/logout/")
    assert response.status_code == 302
    assert response.url == "/login/"
    assert not AuditEvent.objects.exists()
