"""The demo seed: one company with a person in each role, seeded once per database, with a login and an API
key that stay the same from one `cxloop demo` to the next."""

from __future__ import annotations

import json
import stat

import pytest
from django.utils import timezone

from cxloop.accounts.models import ApiKey, Membership, User, Workspace
from cxloop.accounts.roles import Role
from cxloop.accounts.services import api_key_authenticate
from cxloop.core.models import SeedStep
from cxloop.demo import steps
from cxloop.demo.seed import CREDENTIALS_FILE, seed_demo

DEMO_KEY_NAME = "Demo key (cxloop demo)"


@pytest.fixture
def seed(db, tmp_path, monkeypatch):
    """seed() -> DemoCredentials, seeding into the test database with tmp_path as the data folder.

    Only the company step runs: these tests are about the seeding machinery (credentials, key, steps), not the
    volume data of the later steps, which test_cli's end-to-end demo test seeds for real.
    """
    monkeypatch.setattr(steps, "STEPS", [steps.company])

    def _seed(**kwargs):
        return seed_demo(data_dir=tmp_path, **kwargs)

    return _seed


def demo_users():
    return User.objects.filter(email__endswith=f"@{steps.DOMAIN}")


def test_seed_creates_the_company_with_one_person_in_each_role(seed):
    credentials = seed()

    workspace = Workspace.objects.get()
    assert (workspace.name, workspace.slug) == ("Hearth & Thread", "hearth-and-thread")
    assert credentials.workspace == "hearth-and-thread"
    roles = dict(Membership.objects.filter(workspace=workspace).values_list("user__email", "role"))
    assert roles == {
        f"maya@{steps.DOMAIN}": Role.OWNER,
        f"tom@{steps.DOMAIN}": Role.ADMIN,
        f"priya@{steps.DOMAIN}": Role.ANALYST,
        f"luis@{steps.DOMAIN}": Role.AGENT,
        f"ella@{steps.DOMAIN}": Role.VIEWER,
    }


def test_seed_logs_in_as_the_owner_with_a_password_every_demo_user_shares(seed):
    credentials = seed()

    assert credentials.email == f"maya@{steps.DOMAIN}"
    assert demo_users().count() == 5
    assert all(user.check_password(credentials.password) for user in demo_users())


def test_seeding_twice_gives_the_same_credentials_and_seeds_nothing_twice(seed):
    first = seed()

    second = seed()

    assert second == first
    assert Workspace.objects.count() == 1
    assert demo_users().count() == 5
    assert Membership.objects.filter(workspace__slug="hearth-and-thread").count() == 5
    assert ApiKey.objects.filter(name=DEMO_KEY_NAME, revoked_at__isnull=True).count() == 1


def test_demo_key_reads_and_writes_the_demo_workspace(seed, api):
    credentials = seed()

    response = api("get", "/api/v1/me", key=credentials.api_key)

    assert response.status_code == 200
    assert response.json()["workspace"]["slug"] == "hearth-and-thread"
    assert response.json()["scopes"] == ["read", "write"]
    assert response.json()["key_name"] == DEMO_KEY_NAME


def test_revoked_demo_key_is_replaced_by_a_new_working_key(seed, api):
    old = seed().api_key
    ApiKey.objects.filter(name=DEMO_KEY_NAME).update(revoked_at=timezone.now())

    new = seed().api_key

    assert new != old
    assert api_key_authenticate(old) is None
    assert api("get", "/api/v1/me", key=new).status_code == 200
    assert ApiKey.objects.filter(name=DEMO_KEY_NAME, revoked_at__isnull=True).count() == 1
    assert seed().api_key == new


def test_lost_credentials_file_gives_a_new_password_that_works_for_every_demo_user(seed, tmp_path):
    old = seed().password
    (tmp_path / CREDENTIALS_FILE).unlink()

    new = seed().password

    assert new != old
    for user in demo_users():
        assert user.check_password(new), user.email
        assert not user.check_password(old), user.email
    assert Workspace.objects.count() == 1
    assert demo_users().count() == 5


def test_credentials_file_is_private_and_holds_what_the_demo_prints(seed, tmp_path):
    credentials = seed()

    path = tmp_path / CREDENTIALS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {
        "email": credentials.email,
        "password": credentials.password,
        "api_key": credentials.api_key,
    }


def test_api_key_is_not_stored_in_clear_in_the_database(seed):
    credentials = seed()

    key = ApiKey.objects.get(name=DEMO_KEY_NAME)
    assert credentials.api_key not in (key.key_hash, key.prefix)
    assert credentials.api_key.startswith(key.prefix)


def test_each_step_is_recorded_once(seed):
    seed()
    seed()

    assert list(SeedStep.objects.values_list("name", flat=True)) == ["company"]


def test_step_added_later_runs_once_on_an_existing_demo(seed, monkeypatch):
    seed()
    runs = []

    def surveys(ctx):
        runs.append(ctx.workspace.slug)

    monkeypatch.setattr(steps, "STEPS", [*steps.STEPS, surveys])
    reported = []

    seed(out=reported.append)
    seed(out=reported.append)

    assert runs == ["hearth-and-thread"]
    assert reported == ["seeded: surveys"]
    assert SeedStep.objects.filter(name="surveys").count() == 1


def test_failing_step_is_not_recorded_and_runs_again_next_time(seed, monkeypatch):
    attempts = []

    def flaky(ctx):
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("disk full")

    monkeypatch.setattr(steps, "STEPS", [*steps.STEPS, flaky])

    with pytest.raises(RuntimeError):
        seed()
    assert not SeedStep.objects.filter(name="flaky").exists()

    seed()

    assert len(attempts) == 2
    assert SeedStep.objects.filter(name="flaky").count() == 1


def test_company_step_gives_later_steps_the_workspace_and_users(seed, monkeypatch):
    seen = {}

    def inspect(ctx):
        seen["workspace"] = ctx.workspace.slug
        seen["roles"] = sorted(ctx.users)

    monkeypatch.setattr(steps, "STEPS", [*steps.STEPS, inspect])

    seed()

    assert seen == {"workspace": "hearth-and-thread", "roles": sorted(Role.values)}
