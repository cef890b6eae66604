"""Fixtures shared by every test: personas, an isolated cache, and real servers.

Real servers are session-scoped (one set per xdist worker) and imported lazily,
so tests that need none of them start fast.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.core.cache import cache

from tests.harness.plugin import in_ci

PASSWORD = "correct horse battery staple 42"


def require_binary(path: str, package: str) -> str:
    """A missing server binary fails the run in CI and skips loudly elsewhere."""
    found = shutil.which(path) or (path if os.path.exists(path) else None)
    if found:
        return found
    message = f"{path} is missing: install the Debian package {package} (scripts/test does)."
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def clear_cache_namespace() -> None:
    # Delete only this worker's keys: the Redis may be shared with a running Courriel.
    client = cache._cache.get_client(write=True) if hasattr(cache, "_cache") else None
    if client is None or not hasattr(client, "scan_iter"):
        cache.clear()
        return
    pattern = f"{cache.key_prefix}:*"
    keys = list(client.scan_iter(match=pattern, count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # PBKDF2 is deliberately slow; tests hash hundreds of passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def default_language():
    """A request in French leaves French active in this thread (each real request
    activates its own): code called outside a request in a later test must not
    inherit it."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def isolated_cache():
    """allauth counts rate limits in the cache: every test starts from zero."""
    clear_cache_namespace()
    yield
    clear_cache_namespace()


def make_user(django_user_model, name: str, **extra):
    return django_user_model.objects.create_user(
        email=f"{name}@example.org", password=PASSWORD, display_name=name.title(), **extra
    )


@pytest.fixture
def alice(django_user_model):
    """The owner in most tests."""
    return make_user(django_user_model, "alice")


@pytest.fixture
def bob(django_user_model):
    """A second person, who must never see alice's things."""
    return make_user(django_user_model, "bob")


@pytest.fixture
def charlie(django_user_model):
    """A staff member who administers the site."""
    return make_user(django_user_model, "charlie", is_staff=True, is_superuser=True)


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


# --- Real mail servers --------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    """Raw messages and uploads in this test's own folder (Django's default storage)."""
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path)},
    }}  # fmt: skip
    return tmp_path


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    """A throw-away CA, a good server certificate and deliberately broken ones."""
    from tests.harness.certs import generate_certificates

    return generate_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def tls_server(certs):
    """An HTTPS server on loopback with the test CA's certificate for "localhost"."""
    from tests.harness.http_server import HTTPServer

    with HTTPServer(tls=(certs.server_cert, certs.server_key)) as running:
        yield running


@pytest.fixture
def list_server(tls_server, settings, mail_ca):
    """The list's HTTPS server, on loopback: the administrator lets Courriel reach it."""
    settings.UNSUBSCRIBE_ALLOW_PRIVATE = True
    tls_server.serve("/leave", b"", status=200)
    return tls_server


@pytest.fixture(scope="session")
def dovecot(certs):
    """A private Dovecot: IMAP (STARTTLS, TLS) and POP3 (STLS, TLS) on loopback."""
    require_binary("/usr/sbin/dovecot", "dovecot-imapd dovecot-pop3d")
    from tests.harness.dovecot import Dovecot

    with Dovecot(certs) as server:
        yield server


@pytest.fixture
def mail_user(dovecot):
    """A fresh mailbox on the Dovecot fixture, with an empty INBOX."""
    return dovecot.add_user()


@pytest.fixture(scope="session")
def smtp_server(certs):
    """A real SMTP server (aiosmtpd): submission with STARTTLS, SMTPS and plain port 25."""
    from tests.harness.smtp import SMTPServer

    with SMTPServer(certs.server_cert, certs.server_key) as server:
        yield server


@pytest.fixture
def smtp(smtp_server):
    """The SMTP server with its log and fault rules cleared for this test."""
    smtp_server.reset()
    yield smtp_server
    smtp_server.reset()


@pytest.fixture
def mail_ca(settings, certs):
    """Courriel trusts the test CA, as an organisation would trust its own."""
    settings.MAIL_CA_FILE = str(certs.ca_cert)


@pytest.fixture
def account(alice, dovecot, mail_user, mail_ca):
    """alice's IMAP account on the Dovecot fixture (implicit TLS, verified)."""
    from tests.harness.certs import SERVER_HOSTNAME
    from webmail.models import MailAccount

    account = MailAccount(
        user=alice,
        email=mail_user.address,
        incoming_host=SERVER_HOSTNAME,
        incoming_port=dovecot.imaps_port,
        incoming_security="tls",
        incoming_username=mail_user.name,
        smtp_host=SERVER_HOSTNAME,
        smtp_port=465,
        smtp_security="tls",
    )
    account.set_incoming_password(mail_user.password)
    account.save()
    return account


@pytest.fixture
def other_device(dovecot, mail_user, certs):
    """Another mail client changing things on the server, as a phone would."""
    from imapclient import IMAPClient

    from tests.harness.certs import SERVER_HOSTNAME

    client = IMAPClient(
        SERVER_HOSTNAME, port=dovecot.imaps_port, ssl_context=certs.client_context(), timeout=10
    )
    client.login(mail_user.name, mail_user.password)
    yield client
    client.logout()


@pytest.fixture
def mail_servers(settings, certs, dovecot, mail_user, smtp):
    """SRV records for courriel.test point at the fixtures' Dovecot and SMTP."""
    from tests.harness.dns_server import DNSServer

    smtp.add_user(mail_user.address, mail_user.password)
    settings.MAIL_CA_FILE = str(certs.ca_cert)
    settings.AUTOCONFIG_ALLOW_PRIVATE = True
    with DNSServer() as dns:
        dns.add("_imaps._tcp.courriel.test", "SRV", f"0 1 {dovecot.imaps_port} localhost.")
        dns.add("_submissions._tcp.courriel.test", "SRV", f"0 1 {smtp.smtps_port} localhost.")
        dns.add("_pop3s._tcp.courriel.test", "SRV", f"0 1 {dovecot.pop3s_port} localhost.")
        dns.add("localhost", "A", "127.0.0.1")
        settings.AUTOCONFIG_NAMESERVERS = [f"127.0.0.1:{dns.port}"]
        yield mail_user


@pytest.fixture
def uvicorn():
    """The app under uvicorn (ASGI: it can stream, unlike live_server), on the test
    database and cache prefix; needs django_db(transaction=True) to see the data."""
    import subprocess
    import sys

    from django.conf import settings
    from django.db import connection

    from tests.harness.ports import free_port
    from tests.harness.services import wait_for_port

    port = free_port()
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
            if connection.vendor == "postgresql"
            else f"sqlite:///{database['NAME']}"
        ),
        "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
        "SECRET_KEY": settings.SECRET_KEY,
    }
    command = [sys.executable, "-m", "uvicorn", "webmail.asgi:application", "--port", str(port)]
    command += ["--timeout-graceful-shutdown", "1"]
    process = subprocess.Popen(
        command, cwd=Path(__file__).resolve().parent.parent, env=env, stderr=subprocess.DEVNULL
    )
    try:
        wait_for_port(port, 30, "uvicorn")
        yield port
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def empty_task_queues() -> list[str]:
    import redis
    from django.conf import settings

    queues = [settings.CELERY_TASK_DEFAULT_QUEUE, settings.CELERY_SYNC_QUEUE]
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(*queues)
    return queues


def running_worker(queues: list[str]):
    from celery.contrib.testing.worker import start_worker

    from webmail.celery import app

    return start_worker(
        app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=queues
    )


@pytest.fixture
def action_worker():
    """A real Celery worker on this test run's queues (actions and syncs), which
    start empty. Tests using it need django_db(transaction=True)."""
    with running_worker(empty_task_queues()) as worker:
        yield worker


@pytest.fixture
def action_worker_paused():
    """``action_worker``, started when the test says (``.start()``): tasks queued
    before then wait in the broker, as behind a busy worker."""
    from contextlib import ExitStack

    queues = empty_task_queues()
    with ExitStack() as stack:

        class Paused:
            def start(self):
                stack.enter_context(running_worker(queues))

        yield Paused()


def wait_until(condition, seconds: float = 20, interval: float = 0.02) -> None:
    """For what a worker does in the background; fails after ``seconds``."""
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s")
        time.sleep(interval)


@pytest.fixture
def imap_sender(account, smtp, mail_user):
    """The Dovecot account of the `account` fixture, sending through the SMTP fixture."""
    smtp.add_user(mail_user.name, mail_user.password)
    account.smtp_port = smtp.smtps_port
    account.save()
    return account
