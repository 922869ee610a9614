"""The one settings module. Everything configurable comes from the environment (see README)."""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url
import phonenumbers
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from rapport.env import data_dir, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = data_dir()

DEBUG = env_bool("RAPPORT_DEBUG", default=False)
TESTING = env_bool("RAPPORT_TESTING", default=False)

_secret = env_str("RAPPORT_SECRET_KEY")
if _secret is None:
    if not (DEBUG or TESTING):
        # Production must set its own key; a local run keeps one in the data folder so
        # sessions survive restarts without a shared default anyone could read.
        key_file = DATA_DIR / "secret_key"
        if key_file.exists():
            _secret = key_file.read_text().strip()
        else:
            DATA_DIR.mkdir(parents=True, exist_ok=True)
            _secret = secrets.token_urlsafe(50)
            key_file.write_text(_secret)
            key_file.chmod(0o600)
    else:
        _secret = "insecure-development-key-" + "x" * 30
if len(_secret) < 32:
    raise ImproperlyConfigured("RAPPORT_SECRET_KEY must be at least 32 characters long")
SECRET_KEY = _secret

ALLOWED_HOSTS = env_list("RAPPORT_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("RAPPORT_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "rapport.core",
    "rapport.accounts",
    "rapport.people",
    "rapport.interactions",
    "rapport.commitments",
    "rapport.portal",
    "rapport.trust",
    "rapport.transfer",
    "rapport.network",
    "rapport.deals",
    "rapport.value",
    "rapport.agreements",
    "rapport.gifts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "rapport.core.middleware.RefuseNulInQueryMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "rapport.accounts.middleware.MemberPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "rapport.urls"
WSGI_APPLICATION = "rapport.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite in the data folder by default; DATABASE_URL (postgres://...) for teams.
_default_db = f"sqlite:///{DATA_DIR / 'rapport.sqlite3'}"
try:
    _db = dj_database_url.parse(env_str("DATABASE_URL", _default_db) or _default_db)
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from exc
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["OPTIONS"] = {
        # WAL lets readers and the writer work at once; the busy timeout waits out a
        # concurrent writer instead of failing with "database is locked".
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif _db["ENGINE"] == "django.db.backends.postgresql":
    _db.setdefault("CONN_MAX_AGE", 60)
    _db["CONN_HEALTH_CHECKS"] = True
else:
    raise ImproperlyConfigured("DATABASE_URL must point at SQLite or PostgreSQL")
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): five failures for a username from one address lock
# that pair for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["rapport.formats"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"

# Built calendar feeds are kept on disk, keyed by a fingerprint of what they show, so a
# calendar app polling every hour costs a few aggregate queries, not a rebuild.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "feeds": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(DATA_DIR / "cache" / "feeds"),
        "TIMEOUT": 7 * 24 * 3600,
        "OPTIONS": {"MAX_ENTRIES": 1000},
    },
}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG or TESTING

# Production hardening; plain HTTP on localhost stays usable for `rapport serve`.
SECURE_COOKIES = env_bool("RAPPORT_SECURE_COOKIES", default=not (DEBUG or TESTING))
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if SECURE_COOKIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 30

EMAIL_BACKEND = env_str("RAPPORT_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# Where links in emails (the morning agenda) point: the address users open Rapport at.
RAPPORT_SITE_URL = (env_str("RAPPORT_SITE_URL", "http://127.0.0.1:8000") or "").rstrip("/")
DEFAULT_FROM_EMAIL = env_str("RAPPORT_FROM_EMAIL", "Rapport <rapport@localhost>")

# Background work (the morning agenda email) goes through django.tasks with the
# database-backed queue; `rapport worker` runs it. Tasks are stored in the same
# database, so nothing else needs to be running.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# Phone numbers typed without +country code are read as numbers of this region
# (ISO 3166 code such as CN, GB, US); unset, a country code is required.
RAPPORT_PHONE_REGION = (env_str("RAPPORT_PHONE_REGION") or "").upper() or None
if RAPPORT_PHONE_REGION and RAPPORT_PHONE_REGION not in phonenumbers.SUPPORTED_REGIONS:
    raise ImproperlyConfigured(
        f"RAPPORT_PHONE_REGION {RAPPORT_PHONE_REGION!r} is not a region code"
    )

# Half-life of trust evidence in days: an event this old counts half as much as a new one.
_half_life = env_str("RAPPORT_TRUST_HALF_LIFE_DAYS", "180") or "180"
try:
    RAPPORT_TRUST_HALF_LIFE_DAYS = float(_half_life)
except ValueError:
    RAPPORT_TRUST_HALF_LIFE_DAYS = -1.0
if not 1 <= RAPPORT_TRUST_HALF_LIFE_DAYS <= 3650:
    raise ImproperlyConfigured(
        f"RAPPORT_TRUST_HALF_LIFE_DAYS {_half_life!r} must be a number of days from 1 to 3650"
    )

# Uploaded files (evidence attachments) live in the data folder.
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"

# The largest file the import page and API accept, in bytes (a 1 GB mail archive fits).
RAPPORT_MAX_IMPORT_BYTES = env_int("RAPPORT_MAX_IMPORT_BYTES", 2 * 1024**3, low=1)
