"""Settings are read from the environment; a bad value stops the start with a message naming the variable.

Each case imports cxloop.settings in a fresh interpreter with a controlled environment, as a real start does.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from cxloop.settings import database_from_url, envbool, envchoice, envint, envlist, load_secret_key

REPO = Path(__file__).resolve().parents[3]
CXLOOP = Path(sys.executable).parent / "cxloop"

# Variables the settings read; removed from the inherited environment so each case starts from nothing.
_SETTINGS_VARIABLES = {
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DEFAULT_FROM_EMAIL",
    "DJANGO_SETTINGS_MODULE",
    "LOG_LEVEL",
}


def settings_env(data_dir: Path, **variables: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in _SETTINGS_VARIABLES and not name.startswith(("CXLOOP_", "EMAIL_", "SECURE_"))
    }
    env["CXLOOP_DATA_DIR"] = str(data_dir)
    env.update(variables)
    return env


def import_settings(data_dir: Path, *names: str, **variables: str) -> subprocess.CompletedProcess:
    """Import cxloop.settings in a new interpreter; stdout is a JSON object of the named settings."""
    code = (
        "import json, sys, cxloop.settings as s; "
        "print(json.dumps({n: getattr(s, n) for n in sys.argv[1:]}, default=str))"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *names],
        env=settings_env(data_dir, **variables),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def read_settings(data_dir: Path, *names: str, **variables: str) -> dict:
    result = import_settings(data_dir, *names, **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# --- Bad values stop the start ------------------------------------------------------------------
BAD_VALUES = [
    ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
    ({"EMAIL_PORT": "abc"}, "EMAIL_PORT='abc' is not a whole number"),
    ({"EMAIL_PORT": "70000"}, "EMAIL_PORT=70000 is above the maximum 65535"),
    ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL has the scheme 'mysql'"),
    ({"DATABASE_URL": "postgres://host"}, "DATABASE_URL names no database"),
    ({"SECRET_KEY": "short"}, "SECRET_KEY is shorter than 32 characters"),
    ({"EMAIL_USE_TLS": "true", "EMAIL_USE_SSL": "true"}, "EMAIL_USE_TLS and EMAIL_USE_SSL are both true"),
    ({"CXLOOP_BASE_URL": "ftp://x"}, "CXLOOP_BASE_URL='ftp://x' must be an http(s) address"),
    ({"CXLOOP_BASE_URL": "cx.example.com"}, "CXLOOP_BASE_URL='cx.example.com' must be an http(s) address"),
    ({"CXLOOP_TASKS": "celery"}, "CXLOOP_TASKS='celery' is not one of: db, immediate"),
    ({"CXLOOP_MAX_BODY_BYTES": "10"}, "CXLOOP_MAX_BODY_BYTES=10 is below the minimum 1024"),
]


@pytest.mark.parametrize(("variables", "message"), BAD_VALUES, ids=[" ".join(v) for v, _ in BAD_VALUES])
def test_bad_value_stops_the_start_naming_the_variable(variables, message, tmp_path):
    result = import_settings(tmp_path, **variables)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_unwritable_data_dir_stops_the_start(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")

    result = import_settings(blocker / "data")

    assert result.returncode != 0
    assert "CXLOOP_DATA_DIR=" in result.stderr
    assert "cannot be created" in result.stderr


def test_cli_reports_a_bad_value_as_configuration_error_without_traceback(tmp_path):
    result = subprocess.run(
        [str(CXLOOP), "migrate", "--data-dir", str(tmp_path)],
        env=settings_env(tmp_path, DEBUG="maybe"),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "configuration error" in result.stderr
    assert "DEBUG" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "cxloop.sqlite3").exists()


# --- Defaults -----------------------------------------------------------------------------------
def test_defaults_are_safe_for_production(tmp_path):
    values = read_settings(
        tmp_path,
        "DEBUG",
        "HTTPS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "ALLOWED_HOSTS",
    )

    assert values["DEBUG"] is False
    assert values["HTTPS"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    assert "*" not in values["ALLOWED_HOSTS"]


def test_debug_turns_https_defaults_off(tmp_path):
    values = read_settings(tmp_path, "DEBUG", "SESSION_COOKIE_SECURE", "SECURE_HSTS_SECONDS", DEBUG="true")

    assert values == {"DEBUG": True, "SESSION_COOKIE_SECURE": False, "SECURE_HSTS_SECONDS": 0}


def test_without_database_url_the_database_is_sqlite_in_the_data_dir(tmp_path):
    database = read_settings(tmp_path, "DATABASES")["DATABASES"]["default"]

    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(database["NAME"]) == tmp_path.resolve() / "cxloop.sqlite3"


def test_postgres_database_url_is_used(tmp_path):
    database = read_settings(tmp_path, "DATABASES", DATABASE_URL="postgres://cx:pw@db.internal:5433/cxloop")[
        "DATABASES"
    ]["default"]

    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"], database["NAME"], database["USER"]) == (
        "db.internal",
        5433,
        "cxloop",
        "cx",
    )


def test_without_secret_key_one_is_generated_once_into_the_data_dir(tmp_path):
    first = read_settings(tmp_path, "SECRET_KEY")["SECRET_KEY"]

    key_file = tmp_path / "secret_key"
    assert key_file.read_text().strip() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first) >= 50
    assert read_settings(tmp_path, "SECRET_KEY")["SECRET_KEY"] == first


def test_secret_key_from_the_environment_wins_and_writes_no_file(tmp_path):
    key = "k" * 40

    assert read_settings(tmp_path, "SECRET_KEY", SECRET_KEY=key)["SECRET_KEY"] == key
    assert not (tmp_path / "secret_key").exists()


def test_email_host_switches_the_default_backend_to_smtp(tmp_path):
    values = read_settings(
        tmp_path, "EMAIL_BACKEND", "EMAIL_PORT", EMAIL_HOST="smtp.example", EMAIL_PORT="587"
    )

    assert values == {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_PORT": 587}


def test_behind_proxy_trusts_forwarded_proto(tmp_path):
    values = read_settings(tmp_path, "SECURE_PROXY_SSL_HEADER", CXLOOP_BEHIND_PROXY="yes")

    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


# --- The helpers, in-process --------------------------------------------------------------------
@pytest.mark.parametrize("raw", ["1", "true", "TRUE", " yes ", "on"])
def test_envbool_reads_true_words(raw, monkeypatch):
    monkeypatch.setenv("CX_FLAG", raw)

    assert envbool("CX_FLAG", False) is True


@pytest.mark.parametrize("raw", ["0", "false", "No", "off", ""])
def test_envbool_reads_false_words(raw, monkeypatch):
    monkeypatch.setenv("CX_FLAG", raw)

    assert envbool("CX_FLAG", True) is False


def test_envbool_unset_gives_the_default(monkeypatch):
    monkeypatch.delenv("CX_FLAG", raising=False)

    assert envbool("CX_FLAG", True) is True
    assert envbool("CX_FLAG", False) is False


def test_envbool_refuses_other_words_naming_the_variable(monkeypatch):
    monkeypatch.setenv("CX_FLAG", "maybe")

    with pytest.raises(ImproperlyConfigured, match="CX_FLAG='maybe' is not a boolean"):
        envbool("CX_FLAG", False)


def test_envint_reads_a_whole_number(monkeypatch):
    monkeypatch.setenv("CX_NUMBER", " 42 ")

    assert envint("CX_NUMBER", 7) == 42


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_envint_unset_or_blank_gives_the_default(raw, monkeypatch):
    if raw is None:
        monkeypatch.delenv("CX_NUMBER", raising=False)
    else:
        monkeypatch.setenv("CX_NUMBER", raw)

    assert envint("CX_NUMBER", 7) == 7


@pytest.mark.parametrize("raw", ["abc", "4.5", "1e3"])
def test_envint_refuses_what_is_not_a_whole_number(raw, monkeypatch):
    monkeypatch.setenv("CX_NUMBER", raw)

    with pytest.raises(ImproperlyConfigured, match=r"CX_NUMBER=.* is not a whole number"):
        envint("CX_NUMBER", 7)


def test_envint_enforces_its_bounds(monkeypatch):
    monkeypatch.setenv("CX_NUMBER", "0")
    with pytest.raises(ImproperlyConfigured, match="CX_NUMBER=0 is below the minimum 1"):
        envint("CX_NUMBER", 7, minimum=1)

    monkeypatch.setenv("CX_NUMBER", "11")
    with pytest.raises(ImproperlyConfigured, match="CX_NUMBER=11 is above the maximum 10"):
        envint("CX_NUMBER", 7, maximum=10)

    monkeypatch.setenv("CX_NUMBER", "10")
    assert envint("CX_NUMBER", 7, minimum=1, maximum=10) == 10


def test_envlist_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("CX_LIST", " a.example, b.example ,,")

    assert envlist("CX_LIST", ["default"]) == ["a.example", "b.example"]


def test_envlist_unset_gives_the_default_and_empty_gives_nothing(monkeypatch):
    monkeypatch.delenv("CX_LIST", raising=False)
    assert envlist("CX_LIST", ["default"]) == ["default"]

    monkeypatch.setenv("CX_LIST", "")
    assert envlist("CX_LIST", ["default"]) == []


def test_envchoice_reads_a_choice_case_insensitively(monkeypatch):
    monkeypatch.setenv("CX_MODE", " SMTP ")

    assert envchoice("CX_MODE", "console", ("console", "smtp")) == "smtp"


@pytest.mark.parametrize("raw", [None, ""])
def test_envchoice_unset_or_blank_gives_the_default(raw, monkeypatch):
    if raw is None:
        monkeypatch.delenv("CX_MODE", raising=False)
    else:
        monkeypatch.setenv("CX_MODE", raw)

    assert envchoice("CX_MODE", "console", ("console", "smtp")) == "console"


def test_envchoice_refuses_an_unknown_choice_listing_the_choices(monkeypatch):
    monkeypatch.setenv("CX_MODE", "pigeon")

    with pytest.raises(ImproperlyConfigured, match="CX_MODE='pigeon' is not one of: console, smtp"):
        envchoice("CX_MODE", "console", ("console", "smtp"))


@pytest.mark.parametrize("url", ["postgres://u:p@h/db", "postgresql://u@h:5432/db", "pgsql://h/db"])
def test_database_from_url_accepts_postgres_spellings(url, tmp_path):
    assert database_from_url(url, tmp_path)["ENGINE"] == "django.db.backends.postgresql"


def test_database_from_url_accepts_an_explicit_sqlite_file(tmp_path):
    config = database_from_url(f"sqlite:///{tmp_path}/other.sqlite3", tmp_path)

    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == f"{tmp_path}/other.sqlite3"


def test_generated_secret_key_differs_between_data_dirs(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()

    assert load_secret_key(tmp_path / "a") != load_secret_key(tmp_path / "b")
