"""The environment readers behind settings.py."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from webmail.env import env_bool, env_int, env_list, env_str


def test_a_secret_file_wins_over_the_variable(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-the-file\n")
    monkeypatch.setenv("COURRIEL_EXAMPLE", "from-the-variable")
    monkeypatch.setenv("COURRIEL_EXAMPLE_FILE", str(secret))
    assert env_str("COURRIEL_EXAMPLE") == "from-the-file"


def test_a_missing_variable_takes_the_default(monkeypatch):
    monkeypatch.delenv("COURRIEL_EXAMPLE", raising=False)
    assert env_str("COURRIEL_EXAMPLE", "fallback") == "fallback"


@pytest.mark.parametrize(("raw", "expected"), [("yes", True), ("On", True), ("0", False)])
def test_booleans_read_the_usual_words(monkeypatch, raw, expected):
    monkeypatch.setenv("COURRIEL_FLAG", raw)
    assert env_bool("COURRIEL_FLAG", not expected) is expected


def test_a_misspelt_boolean_is_refused_with_its_name(monkeypatch):
    monkeypatch.setenv("COURRIEL_FLAG", "ture")
    with pytest.raises(ImproperlyConfigured, match="COURRIEL_FLAG"):
        env_bool("COURRIEL_FLAG", False)


def test_numbers_and_lists(monkeypatch):
    monkeypatch.setenv("COURRIEL_NUMBER", "42")
    monkeypatch.setenv("COURRIEL_LIST", " a.example , b.example,,")
    assert env_int("COURRIEL_NUMBER", 0) == 42
    assert env_list("COURRIEL_LIST") == ["a.example", "b.example"]


def test_a_word_where_a_number_belongs_is_refused(monkeypatch):
    monkeypatch.setenv("COURRIEL_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="COURRIEL_NUMBER"):
        env_int("COURRIEL_NUMBER", 0)
