"""site_settings(): the environment's defaults, the saved record, Redis and its absence."""

import pytest
from django.core.cache import cache

from tests.harness.ports import free_port
from tests.sitesettings.conftest import save_site_settings
from webmail.sitesettings import access, provider_presets, site_settings
from webmail.sitesettings.models import SiteSettings

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def cache_not_paused(monkeypatch):
    monkeypatch.setattr(access, "_cache_paused_until", 0.0)


def test_without_a_saved_record_the_environment_decides(settings):
    settings.SIGNUP_OPEN = False
    settings.MAIL_HOSTS_BLOCKED = ["10.0.0.0/8", "*.internal.example"]
    settings.POP3_STORAGE_LIMIT_BYTES = 12345
    current = site_settings()
    assert current.signup_open is False
    assert current.hosts_blocked == ["10.0.0.0/8", "*.internal.example"]
    assert current.storage_limit_bytes == 12345
    assert not SiteSettings.objects.exists()  # reading never writes


def test_a_saved_record_wins_over_the_environment(settings):
    settings.SIGNUP_OPEN = True
    save_site_settings(signup_open=False)
    assert site_settings().signup_open is False


def test_reads_come_from_the_cache_without_a_query(django_assert_num_queries):
    save_site_settings(undo_send_seconds=20)
    site_settings()
    with django_assert_num_queries(0):
        assert site_settings().undo_send_seconds == 20
        assert site_settings().undo_send_seconds == 20


def test_saving_drops_the_cached_copy_so_the_next_read_is_new():
    save_site_settings(undo_send_seconds=20)
    assert site_settings().undo_send_seconds == 20  # now cached
    record = SiteSettings.objects.get()
    record.undo_send_seconds = 30
    record.save()
    assert site_settings().undo_send_seconds == 30


def test_a_second_record_cannot_exist():
    save_site_settings(signup_open=False)
    again = SiteSettings.from_environment()
    again.id = None
    again.save()  # whoever saves, it is the same single record
    assert SiteSettings.objects.count() == 1


def test_a_malformed_network_in_the_block_list_is_refused():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="mail_hosts_blocked"):
        save_site_settings(mail_hosts_blocked="10.0.0.0/33")


def test_the_minimum_interval_cannot_exceed_the_default():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="minimum_sync_interval"):
        save_site_settings(default_sync_interval=120, minimum_sync_interval=600)


@pytest.fixture
def redis_down(settings):
    """The cache points at a port where nothing listens, as when Redis is stopped."""
    working = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "KEY_PREFIX": "down",
        }
    }
    with pytest.raises(Exception, match=r"(?i)connect"):
        cache.get("anything")  # really down
    yield
    settings.CACHES = working  # back before the shared fixtures clean the cache up


def test_with_redis_down_the_settings_come_from_the_database(redis_down):
    save_site_settings(signup_open=False, undo_send_seconds=10)  # invalidation fails quietly
    current = site_settings()
    assert (current.signup_open, current.undo_send_seconds) == (False, 10)
    assert provider_presets() == []


def test_with_redis_down_the_sign_up_page_still_answers(client, redis_down):
    from django.urls import reverse

    save_site_settings(signup_open=False)
    page = client.get(reverse("account_signup"))
    assert "Sign Up Closed" in page.content.decode()


def test_undo_delays_match_what_the_outbox_accepts():
    from webmail.outbox.services import UNDO_SECONDS
    from webmail.sitesettings.models import UNDO_SEND_CHOICES

    assert tuple(value for value, _label in UNDO_SEND_CHOICES) == UNDO_SECONDS


def test_the_undo_delay_is_the_persons_choice_else_the_sites(alice):
    from webmail.models import Preferences
    from webmail.sitesettings import undo_send_seconds_for

    save_site_settings(undo_send_seconds=20)
    assert undo_send_seconds_for(alice) == 20
    Preferences.objects.create(user=alice, undo_send_seconds=0)
    alice.refresh_from_db()
    assert undo_send_seconds_for(alice) == 0


def test_a_typo_in_the_environments_values_fails_the_system_checks(settings):
    from webmail.sitesettings.checks import check_initial_site_settings

    assert check_initial_site_settings(None) == []
    settings.MAIL_HOSTS_BLOCKED = ["10.0.0.0/33"]
    settings.UNDO_SEND_SECONDS = 7
    errors = check_initial_site_settings(None)
    assert sorted(error.msg.split(": ")[1] for error in errors) == [
        "mail_hosts_blocked",
        "undo_send_seconds",
    ]
