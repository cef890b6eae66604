"""Loaded with ``-p tests.harness.plugin`` before pytest-django reads settings.

It points the settings at test services (reachable ones, or private ones it
starts) through the environment, so each xdist worker inherits the same choice.
"""

import base64
import os
import secrets
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.harness import services

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/courriel"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"

_started: list[services.PrivateService] = []


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def worker_name() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def set_test_settings_environment() -> None:
    # Production-shaped settings (DEBUG off) minus the HTTPS redirect, which the
    # test client and live_server do not speak.
    defaults = {
        "DEBUG": "false",
        "HTTPS_ONLY": "false",
        "STATIC_MANIFEST": "false",
        "STATIC_FROM_SOURCE": "true",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "CREDENTIALS_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "ALLOWED_HOSTS": "localhost,127.0.0.1,testserver",
        "WEBAUTHN_ALLOW_INSECURE_ORIGIN": "true",
        # The fixtures speak plain text on loopback in many tests (fault-injecting
        # proxies, scripted servers); tests of the refusal set it to false.
        "ALLOW_INSECURE_MAIL_CONNECTIONS": "true",
        "DEFAULT_FROM_EMAIL": "Courriel <courriel@courriel.test>",
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)


def ensure_service(name: str, default_url: str, start) -> None:
    url = os.environ.get(name) or default_url
    if not services.is_reachable(url):
        private = start()
        _started.append(private)
        url = private.url
    os.environ[name] = url


def ensure_services() -> None:
    # The controller chooses once; xdist workers inherit its environment.
    if "PYTEST_XDIST_WORKER" in os.environ:
        return
    ensure_service("DATABASE_URL", DEFAULT_DATABASE_URL, services.start_private_postgres)
    ensure_service("REDIS_URL", DEFAULT_REDIS_URL, services.start_private_redis)
    if not urlsplit(os.environ["DATABASE_URL"]).scheme.startswith("postgres") and in_ci():
        raise services.ServiceUnavailable("CI must run on PostgreSQL, not SQLite.")


def isolate_worker() -> None:
    """Each worker gets its own cache prefix and Celery queue on the shared Redis."""
    run_id = os.environ.setdefault("COURRIEL_TEST_RUN", secrets.token_hex(4))
    os.environ["CACHE_KEY_PREFIX"] = f"test-{run_id}-{worker_name()}"
    os.environ["CELERY_QUEUE"] = f"test-{run_id}-{worker_name()}"
    # pytest-django appends the xdist worker's name to it.
    os.environ["TEST_DATABASE_NAME"] = f"test_courriel_{run_id}"


def redact(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    set_test_settings_environment()
    ensure_services()
    isolate_worker()


def pytest_report_header(config):
    return [
        f"courriel database: {redact(os.environ['DATABASE_URL'])}",
        f"courriel redis: {redact(os.environ['REDIS_URL'])}",
    ]


def pytest_unconfigure(config):
    while _started:
        _started.pop().stop()
