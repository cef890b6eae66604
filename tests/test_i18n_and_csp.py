"""Every string in French too; no inline script can run (Content-Security-Policy)."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["accounts", "webmail", "templates", "locale", "manage.py"]

pytestmark = pytest.mark.django_db


def extract_french_catalogue(tmp_path: Path) -> Path:
    """Run makemessages over a copy of the sources, so new strings show up as untranslated."""
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "fr", "--no-location"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "true", "VAR_DIR": str(tmp_path / "var")},
    )
    return tmp_path / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def test_every_string_has_a_french_translation(tmp_path):
    if not shutil.which("msgfmt"):
        pytest.fail("gettext is missing: install the Debian package gettext (scripts/test does).")
    catalogue = extract_french_catalogue(tmp_path)
    stats = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(catalogue)],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    assert "untranslated" not in stats and "fuzzy" not in stats, stats


def test_the_language_follows_the_browser(client):
    response = client.get(reverse("account_login"), headers={"accept-language": "fr"})
    assert '<html lang="fr">' in response.content.decode()
    assert "Connexion" in response.content.decode()


def test_a_person_can_switch_language(alice_client):
    alice_client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    page = alice_client.get(reverse("webmail:home")).content.decode()
    assert "Bienvenue" in page
    assert "Se déconnecter" in page


def csp_directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    pairs = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {name: value.split() for name, value in pairs}


def test_pages_carry_a_strict_content_security_policy(alice_client):
    directives = csp_directives(alice_client.get(reverse("webmail:home")))
    assert directives["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]


def test_every_script_on_a_page_is_a_file_or_carries_the_nonce(alice_client):
    response = alice_client.get(reverse("webmail:home"))
    nonces = [
        source.removeprefix("'nonce-").rstrip("'")
        for source in csp_directives(response)["script-src"]
        if source.startswith("'nonce-")
    ]
    tags = re.findall(r"<script\b[^>]*>", response.content.decode())
    assert tags
    for tag in tags:
        assert "src=" in tag or any(f'nonce="{nonce}"' in tag for nonce in nonces), tag
