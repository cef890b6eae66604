"""People's message filters in the admin: listed and shown, never edited."""

import pytest
from django.urls import reverse

from tests.admin.conftest import make_account
from webmail.models import MessageFilter

pytestmark = pytest.mark.django_db


def test_filters_are_listed_and_shown_read_only(staff_client, alice):
    rule = MessageFilter.objects.create(
        account=make_account(alice, "alice@example.net"), name="Newsletters", mark_read=True
    )
    listing = staff_client.get(reverse("admin:webmail_messagefilter_changelist"))
    assert "Newsletters" in listing.content.decode()
    page = staff_client.get(reverse("admin:webmail_messagefilter_change", args=[rule.pk]))
    assert page.status_code == 200 and 'name="name"' not in page.content.decode()
    staff_client.post(reverse("admin:webmail_messagefilter_change", args=[rule.pk]), {"name": "x"})
    rule.refresh_from_db()
    assert rule.name == "Newsletters"
