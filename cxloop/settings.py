"""CX Loop settings: one module, read from the environment.

Every value comes from an environment variable with a default that is safe for production
(DEBUG off, secure cookies when serving HTTPS). A bad value stops the start with a message that
names the variable and what it expected (`ImproperlyConfigured`).

Variables (see README "Configuration"):
  CXLOOP_DATA_DIR     folder for the SQLite database, the generated secret key and uploads (default ./data)
  DATABASE_URL        postgres://user:pass@host:5432/name; SQLite file in the data dir when unset
  SECRET_KEY          generated once into DATA_DIR/secret_key when unset
  DEBUG               true/false (default false)
  ALLOWED_HOSTS       comma-separated host names (default localhost,127.0.0.1)
  CXLOOP_HTTPS        served over HTTPS: secure cookies, HSTS, redirect (default: true unless DEBUG)
  CXLOOP_BEHIND_PROXY trust X-Forwarded-Proto from a reverse proxy (default false)
  CXLOOP_BASE_URL     public address used in emailed links (default http://localhost:8000)
  CXLOOP_TASKS        db (default) | immediate (run tasks inline, for tests)
  CXLOOP_QUERY_THREADS dashboard queries run side by side in up to N threads (default 4; 1 = one by one)
  CXLOOP_SMS_API_URL, CXLOOP_SMS_ACCOUNT_SID, CXLOOP_SMS_AUTH_TOKEN, CXLOOP_SMS_FROM
                      SMS invitations through a Twilio-compatible API (off unless SID, token, sender set)
  EMAIL_URL-like:     EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS,
                      EMAIL_USE_SSL, DEFAULT_FROM_EMAIL, EMAIL_BACKEND (console|smtp|locmem)
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean: use one of true/false, 1/0, yes/no, on/off."
    )


def envint(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum {minimum}.")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name}={value} is above the maximum {maximum}.")
    return value


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def envchoice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={raw!r} is not one of: {', '.join(choices)}.")
    return value


def database_from_url(url: str, data_dir: Path) -> dict:
    """Parse DATABASE_URL; only PostgreSQL and SQLite are supported."""
    import dj_database_url

    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(data_dir / "cxloop.sqlite3"),
            "OPTIONS": {
                # WAL lets the web server read while the worker writes; IMMEDIATE avoids
                # "database is locked" on write upgrades under concurrency.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
                ),
                "transaction_mode": "IMMEDIATE",
            },
        }
    scheme = urlparse(url).scheme
    if scheme not in {"postgres", "postgresql", "pgsql", "sqlite"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL has the scheme {scheme!r}: use postgres://user:password@host:5432/name "
            "or leave it unset for SQLite in the data folder."
        )
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL could not be parsed: {exc}") from None
    if config["ENGINE"] == "django.db.backends.postgresql" and not config.get("NAME"):
        raise ImproperlyConfigured("DATABASE_URL names no database: add /name after the host.")
    return config


def load_secret_key(data_dir: Path) -> str:
    """SECRET_KEY from the environment, else generated once and kept in the data folder."""
    key = os.environ.get("SECRET_KEY", "").strip()
    if key:
        if len(key) < 32:
            raise ImproperlyConfigured("SECRET_KEY is shorter than 32 characters: use a long random value.")
        return key
    path = data_dir / "secret_key"
    if not path.exists():
        # Written to a private temporary file, then linked into place: a process starting at the same
        # moment either sees no file or the whole key, never an empty one, and only one key wins.
        tmp = data_dir / f".secret_key.{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            tmp.unlink()
    return path.read_text().strip()


# --- Paths -------------------------------------------------------------------------------------
DATA_DIR = Path(os.environ.get("CXLOOP_DATA_DIR", "") or Path.cwd() / "data").resolve()
try:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
except OSError as exc:
    raise ImproperlyConfigured(
        f"CXLOOP_DATA_DIR={str(DATA_DIR)!r} cannot be created: {exc.strerror}."
    ) from None
if not os.access(DATA_DIR, os.W_OK):
    raise ImproperlyConfigured(f"CXLOOP_DATA_DIR={str(DATA_DIR)!r} is not writable.")

# --- Core --------------------------------------------------------------------------------------
DEBUG = envbool("DEBUG", False)
SECRET_KEY = load_secret_key(DATA_DIR)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
HTTPS = envbool("CXLOOP_HTTPS", not DEBUG)
BASE_URL = os.environ.get("CXLOOP_BASE_URL", "http://localhost:8000").rstrip("/")
if urlparse(BASE_URL).scheme not in {"http", "https"} or not urlparse(BASE_URL).netloc:
    raise ImproperlyConfigured(
        f"CXLOOP_BASE_URL={BASE_URL!r} must be an http(s) address like https://cx.example.com"
    )

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "cxloop.core",
    "cxloop.accounts",
    "cxloop.web",
    "cxloop.customers",
    "cxloop.feedback",
    "cxloop.surveys",
    "cxloop.outreach",
    "cxloop.analysis",
    "cxloop.metrics",
    "cxloop.loop",
    "cxloop.widget",
    "cxloop.notifications",
    "cxloop.boards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "cxloop.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "cxloop.core.middleware.ApiProblemMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "cxloop.accounts.middleware.WorkspaceMiddleware",
]

ROOT_URLCONF = "cxloop.urls"
WSGI_APPLICATION = "cxloop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cxloop.accounts.context_processors.workspace",
                "cxloop.web.context_processors.navigation",
                "cxloop.notifications.context_processors.unread_notifications",
            ],
        },
    },
]

DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL", "").strip(), DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": DATA_DIR / "media"},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve static files straight from the installed packages: no collectstatic step for `cxloop demo`.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Security ----------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and envbool("CXLOOP_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^api/v1/health$"]
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
# Preloading locks every subdomain of the operator's domain into HTTPS for good: an operator's own choice
# (SECURE_HSTS_PRELOAD=true), so the deploy check's reminder about it is silenced.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if envbool("CXLOOP_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("CXLOOP_MAX_BODY_BYTES", 10 * 1024 * 1024, minimum=1024)
# The survey builder posts a whole survey as one form: ~30 fields a question, up to 200 questions.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 50_000

# Login throttling: this many failures per window per account and per client address.
LOGIN_FAILURE_LIMIT = envint("CXLOOP_LOGIN_FAILURE_LIMIT", 10, minimum=1)
LOGIN_FAILURE_WINDOW_SECONDS = envint("CXLOOP_LOGIN_FAILURE_WINDOW", 15 * 60, minimum=60)
API_RATE_LIMIT_PER_MINUTE = envint("CXLOOP_API_RATE_LIMIT", 3000, minimum=1)
# Public survey answers accepted per minute from one address (a shop's shared Wi-Fi can hold many people).
SURVEY_SUBMIT_RATE_PER_MINUTE = envint("CXLOOP_SURVEY_SUBMIT_RATE", 100, minimum=1)
INVITATION_TTL_HOURS = envint("CXLOOP_INVITATION_TTL_HOURS", 7 * 24, minimum=1)

# --- Email -------------------------------------------------------------------------------------
_email_backend = envchoice(
    "EMAIL_BACKEND", "smtp" if os.environ.get("EMAIL_HOST") else "console", ("console", "smtp", "locmem")
)
EMAIL_BACKEND = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}[_email_backend]
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL are both true: choose one.")
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 20, minimum=1)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "CX Loop <cxloop@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- SMS (survey invitations; a Twilio-compatible HTTP API) -------------------------------------
# Off unless the account SID, auth token and sender are all set; the base URL defaults to Twilio's.
SMS_API_URL = os.environ.get("CXLOOP_SMS_API_URL", "").strip().rstrip("/") or "https://api.twilio.com"
SMS_ACCOUNT_SID = os.environ.get("CXLOOP_SMS_ACCOUNT_SID", "").strip()
SMS_AUTH_TOKEN = os.environ.get("CXLOOP_SMS_AUTH_TOKEN", "").strip()
SMS_FROM = os.environ.get("CXLOOP_SMS_FROM", "").strip()
_sms_parts = {
    "CXLOOP_SMS_ACCOUNT_SID": SMS_ACCOUNT_SID,
    "CXLOOP_SMS_AUTH_TOKEN": SMS_AUTH_TOKEN,
    "CXLOOP_SMS_FROM": SMS_FROM,
}
if any(_sms_parts.values()) and not all(_sms_parts.values()):
    raise ImproperlyConfigured(
        "SMS is half configured: also set "
        + ", ".join(name for name, value in _sms_parts.items() if not value)
        + " (or unset them all to turn SMS off)."
    )
if urlparse(SMS_API_URL).scheme not in {"http", "https"} or not urlparse(SMS_API_URL).netloc:
    raise ImproperlyConfigured(
        f"CXLOOP_SMS_API_URL={SMS_API_URL!r} must be an http(s) address like https://api.twilio.com"
    )

# --- Background work (Django Tasks API) --------------------------------------------------------
# Independent dashboard queries side by side (cxloop/core/parallel.py).
CXLOOP_QUERY_THREADS = envint("CXLOOP_QUERY_THREADS", 4, minimum=1, maximum=32)

_tasks = envchoice("CXLOOP_TASKS", "db", ("db", "immediate"))
TASKS = {
    "default": {
        "BACKEND": {
            "db": "django_tasks_db.DatabaseBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[_tasks],
        "QUEUES": ["default"],
    }
}

# --- Logging -----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO").upper()},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
        "django_tasks_db": {"level": "WARNING"},
    },
}
