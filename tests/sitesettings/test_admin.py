"""The site settings and presets in the Django admin: one record, logged changes."""

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.urls import reverse

from tests.sitesettings.conftest import admin_form, save_in_admin, save_site_settings
from webmail.sitesettings import site_settings
from webmail.sitesettings.models import ProviderPreset, SiteSettings

pytestmark = pytest.mark.django_db

SETTINGS_LIST = "admin:sitesettings_sitesettings_changelist"
SETTINGS_ADD = "admin:sitesettings_sitesettings_add"


def change_url():
    return reverse("admin:sitesettings_sitesettings_change", args=[1])


def test_before_any_save_the_list_opens_a_form_filled_from_the_environment(staff_client, settings):
    settings.MAIL_HOSTS_BLOCKED = ["10.0.0.0/8"]
    response = staff_client.get(reverse(SETTINGS_LIST))
    assert response.url == reverse(SETTINGS_ADD)
    form = staff_client.get(response.url).context["adminform"].form
    assert form.initial["mail_hosts_blocked"] == "10.0.0.0/8"


def test_once_saved_the_list_opens_the_one_record(staff_client):
    save_site_settings()
    response = staff_client.get(reverse(SETTINGS_LIST))
    assert response.url == change_url()
    assert staff_client.get(response.url).status_code == 200


def test_a_second_record_cannot_be_added_nor_the_record_deleted(staff_client):
    save_site_settings()
    record = SiteSettings.objects.get()
    assert staff_client.post(reverse(SETTINGS_ADD), admin_form(record)).status_code == 403
    delete = reverse("admin:sitesettings_sitesettings_delete", args=[1])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    assert SiteSettings.objects.count() == 1


def test_every_save_is_in_the_admin_log(staff_client, charlie):
    save_in_admin(staff_client, signup_open=False)
    save_in_admin(staff_client, undo_send_seconds=30)
    entries = LogEntry.objects.filter(user=charlie).order_by("action_time")
    assert [entry.action_flag for entry in entries] == [ADDITION, CHANGE]
    assert "undo" in entries[1].get_change_message().lower()
    history = staff_client.get(reverse("admin:sitesettings_sitesettings_history", args=[1]))
    assert "undo" in history.content.decode().lower()


def test_a_preset_saved_in_the_admin_is_logged_and_used_at_once(staff_client, charlie):
    response = staff_client.post(
        reverse("admin:sitesettings_providerpreset_add"),
        {
            "name": "Example Org",
            "domains": "example.org\nexample.net",
            "mx_patterns": "",
            "username_format": "%EMAILLOCALPART%",
            "imap_host": "imap.example.org",
            "imap_port": "993",
            "imap_security": "tls",
            "pop3_host": "",
            "pop3_port": "",
            "pop3_security": "tls",
            "smtp_host": "smtp.example.org",
            "smtp_port": "465",
            "smtp_security": "tls",
        },
    )
    assert response.status_code == 302
    preset = ProviderPreset.objects.get()
    assert LogEntry.objects.get(user=charlie).object_id == str(preset.pk)
    from webmail.sitesettings import provider_presets

    assert [p.domain_list() for p in provider_presets()] == [["example.org", "example.net"]]


def test_a_typo_in_a_network_is_refused_with_a_message(staff_client):
    record = SiteSettings.from_environment()
    response = staff_client.post(
        reverse(SETTINGS_ADD), admin_form(record, mail_hosts_blocked="10.0.0.0/33")
    )
    assert response.status_code == 200
    assert "Not a valid host, wildcard or network" in response.content.decode()
    assert not SiteSettings.objects.exists()


def test_a_preset_cannot_take_another_presets_domain(staff_client):
    from tests.sitesettings.conftest import make_preset

    make_preset(name="First", domains="example.org")
    with pytest.raises(Exception, match="already belong to the preset First"):
        make_preset(name="Second", domains="example.org")


def test_people_who_are_not_staff_cannot_reach_the_settings(alice_client):
    response = alice_client.get(reverse(SETTINGS_LIST))
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))
    record = SiteSettings.from_environment()
    alice_client.post(reverse(SETTINGS_ADD), admin_form(record, signup_open=False))
    assert not SiteSettings.objects.exists()


def test_a_saved_change_applies_without_a_restart(staff_client, client):
    assert site_settings().signup_open is True
    assert "Sign Up Closed" not in client.get(reverse("account_signup")).content.decode()
    save_in_admin(staff_client, signup_open=False)
    assert "Sign Up Closed" in client.get(reverse("account_signup")).content.decode()


def test_the_preset_a_site_is_locked_to_cannot_be_deleted(staff_client):
    from tests.sitesettings.conftest import make_preset

    preset = make_preset()
    save_site_settings(locked_preset=preset)
    delete = reverse("admin:sitesettings_providerpreset_delete", args=[preset.pk])
    page = staff_client.post(delete, {"post": "yes"})
    assert "Cannot delete" in page.content.decode()
    assert ProviderPreset.objects.filter(pk=preset.pk).exists()
