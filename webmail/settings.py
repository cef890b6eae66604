"""Courriel's settings, all read from the environment (see README, "Configuration").

Defaults just work for a single machine: SQLite in ``var/``, Redis on localhost.
Production hardening is on whenever DEBUG is off.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from webmail.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (or SECRET_KEY_FILE); see README.")
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-on"  # noqa: S105

# Fernet keys for mail passwords at rest; the first encrypts, all decrypt (rotation).
CREDENTIALS_KEYS = env_list("CREDENTIALS_KEY")
if not CREDENTIALS_KEYS and not DEBUG:
    raise ImproperlyConfigured("Set CREDENTIALS_KEY (or CREDENTIALS_KEY_FILE); see README.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "accounts",
    "webmail",
    "webmail.outbox",
    "webmail.pop3",
    "webmail.sitesettings",
    "webmail.sessions_list",
    "webmail.compose",
    "webmail.contacts",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "servestatic.middleware.ServeStaticMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "webmail.preferences_middleware.PreferencesMiddleware",
    "webmail.sessions_list.middleware.LastSeenMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "webmail.sitesettings.middleware.require_two_factor_middleware",
]

ROOT_URLCONF = "webmail.urls"
WSGI_APPLICATION = "webmail.wsgi.application"
ASGI_APPLICATION = "webmail.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "webmail.context_processors.notices",
                "webmail.context_processors.undo_offer",
            ],
        },
    },
]

# --- Data -------------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:
    # The zero-setup default: one SQLite file that needs its folder.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASE_URL = f"sqlite:///{VAR_DIR / 'courriel.sqlite3'}"
DATABASES = {"default": environ.Env.db_url_config(DATABASE_URL)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The web server, workers and listener write at the same time: WAL lets
    # readers go on during a write, IMMEDIATE makes writers queue, not fail.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
if env_str("DATABASE_PASSWORD"):
    # Kept out of DATABASE_URL so it can come from a secret file.
    DATABASES["default"]["PASSWORD"] = env_str("DATABASE_PASSWORD")
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
if env_str("TEST_DATABASE_NAME"):
    # Set by the test harness so that concurrent test runs never share a database.
    DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME")}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# An empty REDIS_URL selects the single-machine fallback: a file cache and a
# file-system Celery broker under VAR_DIR (see README, "Without Redis").
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHE_KEY_PREFIX = env_str("CACHE_KEY_PREFIX", "courriel")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }

# Sessions live in the database so that a Redis outage signs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Celery -------------------------------------------------------------------

CELERY_BROKER_URL = REDIS_URL or "filesystem://"
CELERY_RESULT_BACKEND = REDIS_URL or f"file://{VAR_DIR / 'celery' / 'results'}"
if not REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(VAR_DIR / "celery" / "queue"),
        "data_folder_out": str(VAR_DIR / "celery" / "queue"),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),  # not the working directory
        "store_processed": False,
    }
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "courriel")
# Syncing has its own queue so a big first sync never delays sending mail.
CELERY_SYNC_QUEUE = f"{CELERY_TASK_DEFAULT_QUEUE}-sync"
CELERY_TASK_ROUTES = {
    "webmail.tasks.sync_*": {"queue": CELERY_SYNC_QUEUE},
    "webmail.tasks.index_bodies": {"queue": CELERY_SYNC_QUEUE},
    "webmail.pop3.tasks.*": {"queue": CELERY_SYNC_QUEUE},
    "webmail.tasks.dispatch_due_syncs": {"queue": CELERY_SYNC_QUEUE},
}
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "webmail.tasks.heartbeat", "schedule": 60.0},
    "dispatch-due-syncs": {"task": "webmail.tasks.dispatch_due_syncs", "schedule": 30.0},
    "dispatch-due-outbox": {"task": "webmail.outbox.tasks.dispatch_due_outbox", "schedule": 15.0},
    "dispatch-due-pop3-fetches": {
        "task": "webmail.pop3.tasks.dispatch_due_pop3_fetches",
        "schedule": 30.0,
    },
    "settle-sent-drafts": {"task": "webmail.compose.tasks.settle_all_drafts", "schedule": 300.0},
    "collect-raw-garbage": {"task": "webmail.tasks.collect_raw_garbage", "schedule": 6 * 3600.0},
}

# --- Accounts (django-allauth) ---------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "webmail:home"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "optional")
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Courriel] "
# Login rate limiting is allauth's default (failed logins: 10/min per IP and
# 5 per 5 min per address); it counts in the cache, so Redis must be shared.
SIGNUP_OPEN = env_bool("SIGNUP_OPEN", True)

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_PASSKEY_SIGNUP_ENABLED = False
MFA_TOTP_ISSUER = "Courriel"
# WebAuthn refuses plain http except on localhost; tests and local runs use it.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG or env_bool("WEBAUTHN_ALLOW_INSECURE_ORIGIN", False)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Mail Courriel sends itself (password resets) ---------------------------

DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Courriel <courriel@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL


def smtp_mailer(url: str) -> dict:
    """``smtp://user:pass@host:587`` (STARTTLS), ``smtps://…:465`` (TLS), ``smtp+plain://…``."""
    config = environ.Env.email_url_config(url.replace("smtp+plain://", "smtp://"))
    options = {
        "host": config["EMAIL_HOST"],
        "port": config["EMAIL_PORT"],
        "username": config["EMAIL_HOST_USER"],
        "password": config["EMAIL_HOST_PASSWORD"],
        "use_ssl": url.startswith("smtps://"),
        "use_tls": url.startswith("smtp://") and config["EMAIL_PORT"] != 25,
        "timeout": 30,
    }
    return {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options}


SMTP_URL = env_str("SMTP_URL")
if SMTP_URL:
    MAILERS = {"default": smtp_mailer(SMTP_URL)}
elif DEBUG:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
else:
    MAILERS = {"default": smtp_mailer("smtp+plain://localhost:25")}

# --- Mail servers Courriel connects to ---------------------------------------

# An extra CA bundle to trust (an organisation's own CA; the tests' CA).
MAIL_CA_FILE = env_str("MAIL_CA_FILE")
MAIL_TIMEOUT = env_int("MAIL_TIMEOUT", 20)
# Mail downloaded over POP3 is kept here, up to this much per person.
POP3_STORAGE_LIMIT_BYTES = env_int("POP3_STORAGE_LIMIT_BYTES", 1024**3)
# One upload of .eml / .mbox files to import (kept on disk while it is read).
MAIL_IMPORT_MAX_BYTES = env_int("MAIL_IMPORT_MAX_BYTES", 200 * 1024**2)
# Bodies above this size are not fetched for search (they stay readable on demand).
BODY_INDEX_MAX_BYTES = env_int("BODY_INDEX_MAX_BYTES", 5 * 1024 * 1024)
ALLOW_INSECURE_MAIL_CONNECTIONS = env_bool("ALLOW_INSECURE_MAIL_CONNECTIONS", False)
AUTOCONFIG_ALLOW_PRIVATE = env_bool("AUTOCONFIG_ALLOW_PRIVATE", False)
# The image proxy never fetches from internal addresses unless this says so (tests).
IMAGE_PROXY_ALLOW_PRIVATE = env_bool("IMAGE_PROXY_ALLOW_PRIVATE", False)
# Nor does one-click unsubscription POST to them (a list on the organisation's network).
UNSUBSCRIBE_ALLOW_PRIVATE = env_bool("UNSUBSCRIBE_ALLOW_PRIVATE", False)
AUTOCONFIG_NAMESERVERS = env_list("AUTOCONFIG_NAMESERVERS")  # host:port; default: the system's
MAIL_HOSTS_ALLOWED = env_list("MAIL_HOSTS_ALLOWED")
MAIL_HOSTS_BLOCKED = env_list("MAIL_HOSTS_BLOCKED")
# SIGNUP_OPEN, ALLOW_INSECURE_MAIL_CONNECTIONS, MAIL_HOSTS_*, POP3_STORAGE_LIMIT_BYTES and
# these are the initial values of the admin's site settings (webmail/sitesettings): once
# an administrator saves the site settings, the saved record wins.
REQUIRE_TWO_FACTOR = env_bool("REQUIRE_TWO_FACTOR", False)
SYNC_INTERVAL_SECONDS = env_int("SYNC_INTERVAL_SECONDS", 300)
SYNC_INTERVAL_MINIMUM_SECONDS = env_int("SYNC_INTERVAL_MINIMUM_SECONDS", 60)
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 25 * 1024 * 1024)
UNDO_SEND_SECONDS = env_int("UNDO_SEND_SECONDS", 5)
IMAGE_PROXY_ENABLED = env_bool("IMAGE_PROXY_ENABLED", True)

# --- Internationalisation ---------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "servestatic.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Serve straight from the source folders (no collectstatic) in development and tests.
SERVESTATIC_USE_FINDERS = env_bool("STATIC_FROM_SOURCE", DEBUG)
SERVESTATIC_AUTOREFRESH = SERVESTATIC_USE_FINDERS
MEDIA_ROOT = VAR_DIR / "media"

# --- Security -----------------------------------------------------------------

# HTTPS_ONLY=false is the opt-out for plain-http trials on localhost.
HTTPS_ONLY = env_bool("HTTPS_ONLY", not DEBUG)
if env_bool("BEHIND_TLS_PROXY", False):
    # The proxy terminates TLS and says so; it must strip this header from clients.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS_ONLY and env_bool("HTTPS_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 31_536_000) if HTTPS_ONLY else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS_ONLY
SECURE_HSTS_PRELOAD = HTTPS_ONLY and env_bool("HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Nothing is framed, except the message-body views, which opt in per view
# (xframe_options_sameorigin plus a csp_override of frame-ancestors).
X_FRAME_OPTIONS = "DENY"

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# --- Logging ------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
