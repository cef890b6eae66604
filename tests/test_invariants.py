"""Whole-project invariants: cheap to run, catch whole classes of mistakes."""

import ast
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, reverse

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_URL_NAMES = {"webmail:health"}
POST_ONLY_URL_NAMES = {
    "webmail:account_add_cancel",
    "webmail:act",
    "webmail:list_mode",
    "webmail:mark_all_read",
    "webmail:sign_out_other_sessions",
    "webmail:undo",
}
# Reached from the body iframe, with or without a session: a signed token in the
# URL is the permission (tests/test_reading_views.py).
TOKEN_URL_NAMES = {"webmail:image_proxy"}
# Streams (Server-Sent Events) never end for the test client; tests/test_live_updates.py.
STREAM_URL_NAMES = {"webmail:events"}
# Steps of a flow send a person back to its start when reached out of order.
FLOW_STEPS = {"webmail:account_add_settings": "webmail:account_add"}


def test_no_migrations_are_pending(db):
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_mail_package_imports_nothing_from_django():
    offenders = []
    for path in sorted((ROOT / "webmail" / "mail").rglob("*.py")):
        for name in imported_modules(path):
            outside_mail = name.startswith("webmail.") and not name.startswith("webmail.mail")
            if name.split(".")[0] in {"django", "celery", "allauth"} or outside_mail:
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def named_patterns(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from named_patterns(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry


def courriel_url_names() -> list[str]:
    """Our own named URLs that take no arguments (allauth's are tested through flows)."""
    return sorted(
        name
        for name, pattern in named_patterns()
        if name.startswith(("webmail:", "outbox:"))
        and not pattern.pattern.regex.groupindex
        and name not in TOKEN_URL_NAMES | STREAM_URL_NAMES
    )


def test_there_are_urls_to_check():
    assert "webmail:home" in courriel_url_names()


@pytest.mark.parametrize("name", sorted(set(courriel_url_names()) - POST_ONLY_URL_NAMES))
def test_every_named_url_renders_for_a_signed_in_person(alice_client, name):
    response = alice_client.get(reverse(name))
    if name in FLOW_STEPS:
        assert response.url == reverse(FLOW_STEPS[name])
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("name", sorted(POST_ONLY_URL_NAMES))
def test_post_only_urls_refuse_a_get(alice_client, name):
    assert alice_client.get(reverse(name)).status_code == 405


@pytest.mark.parametrize("name", sorted(set(courriel_url_names()) - PUBLIC_URL_NAMES))
def test_every_named_url_sends_an_anonymous_visitor_to_sign_in(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def production_environment(tmp_path) -> dict[str, str]:
    keep = {"PATH", "HOME", "LANG", "PYTHONPATH"}
    env = {key: value for key, value in os.environ.items() if key in keep}
    env.update(
        DEBUG="False",
        SECRET_KEY="a-long-random-production-secret-" + "x" * 40,
        CREDENTIALS_KEY="DWhF8n9Z0oBj3cIJkQG3yb3HcIVkq2I0cbY1m0q7m0A=",
        ALLOWED_HOSTS="mail.example.org",
        VAR_DIR=str(tmp_path),
    )
    return env


def manage(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_only_the_four_production_variables(tmp_path):
    result = manage(
        ["check", "--deploy", "--fail-level", "WARNING"], production_environment(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_environment(tmp_path)
    del env["SECRET_KEY"]
    result = manage(["check"], env)
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_a_credentials_key(tmp_path):
    env = production_environment(tmp_path)
    del env["CREDENTIALS_KEY"]
    result = manage(["check"], env)
    assert result.returncode != 0
    assert "Set CREDENTIALS_KEY" in result.stderr


def test_an_invalid_credentials_key_fails_the_system_check(tmp_path):
    env = production_environment(tmp_path)
    env["CREDENTIALS_KEY"] = "DWhF8n9Z0oBj3cIJkQG3yb3HcIVkq2I0cbY1m0q7m0A=,not-a-key"
    result = manage(["check"], env)
    assert result.returncode != 0
    assert "CREDENTIALS_KEY number 2 is not a valid Fernet key" in result.stderr
