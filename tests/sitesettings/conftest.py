"""Site settings saved as the administrator would, through the admin or the ORM."""

import pytest
from django.test import Client
from django.urls import reverse

from webmail.sitesettings.models import ProviderPreset, SiteSettings


def save_site_settings(**values) -> SiteSettings:
    """The record, starting from the environment's values, changed and saved."""
    record = SiteSettings.from_environment()
    for name, value in values.items():
        setattr(record, name, value)
    record.full_clean()
    record.save()
    return record


def admin_form(record: SiteSettings, **changes) -> dict:
    """What the admin's change form posts for ``record``, with ``changes`` applied."""
    values = {
        "signup_open": record.signup_open,
        "require_two_factor": record.require_two_factor,
        "allow_insecure_connections": record.allow_insecure_connections,
        "mail_hosts_allowed": record.mail_hosts_allowed,
        "mail_hosts_blocked": record.mail_hosts_blocked,
        "locked_preset": record.locked_preset_id or "",
        "default_sync_interval": record.default_sync_interval,
        "minimum_sync_interval": record.minimum_sync_interval,
        "attachment_max_bytes": record.attachment_max_bytes,
        "storage_limit_bytes": record.storage_limit_bytes,
        "undo_send_seconds": record.undo_send_seconds,
        "image_proxy_enabled": record.image_proxy_enabled,
        **changes,
    }
    # An unticked checkbox is absent from a real form's POST.
    return {name: value for name, value in values.items() if value is not False}


def save_in_admin(client, **changes):
    """Save the site settings through the admin's own form, as a person would."""
    record = SiteSettings.objects.filter(pk=1).first()
    if record is None:
        url = reverse("admin:sitesettings_sitesettings_add")
        record = SiteSettings.from_environment()
    else:
        url = reverse("admin:sitesettings_sitesettings_change", args=[1])
    response = client.post(url, admin_form(record, **changes))
    assert response.status_code == 302, response.context["adminform"].form.errors
    return response


def make_preset(name="Example Org", domains="example.org", **servers) -> ProviderPreset:
    preset = ProviderPreset(
        name=name,
        domains=domains,
        imap_host=servers.pop("imap_host", "imap.example.org"),
        imap_port=servers.pop("imap_port", 993),
        smtp_host=servers.pop("smtp_host", "smtp.example.org"),
        smtp_port=servers.pop("smtp_port", 465),
        **servers,
    )
    preset.full_clean()
    preset.save()
    return preset


@pytest.fixture
def staff_client(charlie):
    """The administrator, in a browser of their own (``client`` stays free for others)."""
    staff = Client()
    staff.force_login(charlie)
    return staff
