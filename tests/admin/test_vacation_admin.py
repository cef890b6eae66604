"""Vacation replies in the admin: listed and shown, never edited."""

import pytest
from django.urls import reverse

from tests.admin.conftest import make_account
from webmail.models import VacationReply

pytestmark = pytest.mark.django_db


def test_vacation_replies_are_listed_and_shown_read_only(staff_client, alice):
    reply = VacationReply.objects.create(
        account=make_account(alice, "alice@example.net"), enabled=True, text="Away."
    )
    listing = staff_client.get(reverse("admin:webmail_vacationreply_changelist"))
    assert "alice@example.net" in listing.content.decode()
    page = staff_client.get(reverse("admin:webmail_vacationreply_change", args=[reply.pk]))
    assert page.status_code == 200 and 'name="text"' not in page.content.decode()
    url = reverse("admin:webmail_vacationreply_change", args=[reply.pk])
    staff_client.post(url, {"text": "Hacked.", "enabled": ""})
    reply.refresh_from_db()
    assert (reply.text, reply.enabled) == ("Away.", True)
