"""Settings → Vacation reply: turn on, check, turn off; in French; strangers 404."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.admin.conftest import make_account
from webmail.models import Folder, Message, SpecialUse, VacationRecipient, VacationReply

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(alice):
    """alice's account, its Inbox holding mail from before (never to be answered)."""
    account = make_account(alice, "alice@example.net")
    inbox = Folder.objects.create(account=account, name="INBOX", special_use=SpecialUse.INBOX)
    Message.objects.create(
        account=account, folder=inbox, uid=7, subject="Old", internal_date=timezone.now()
    )
    return account


def form_data(**changes) -> dict:
    data = {
        "enabled": "on",
        "first_day": "2026-07-01",
        "last_day": "2026-07-21",
        "subject": "",
        "text": "I am away until 21 July.",
        "days": "4",
    }
    return {key: value for key, value in (data | changes).items() if value is not None}


def edit_url(account) -> str:
    return reverse("webmail:settings_vacation_edit", args=[account.pk])


def test_turning_it_on_saves_it_from_now_and_marks_the_inbox(alice_client, account):
    before = timezone.now()
    response = alice_client.post(edit_url(account), form_data(contacts_only="on"))
    assert response.url == reverse("webmail:settings_vacation")
    vacation = VacationReply.objects.get(account=account)
    assert vacation.enabled and vacation.contacts_only and vacation.enabled_at >= before
    assert (vacation.first_day, vacation.last_day, vacation.days) == (
        date(2026, 7, 1),
        date(2026, 7, 21),
        4,
    )
    assert Folder.objects.get(account=account).filtered_uid == 7  # older mail is not new
    page = alice_client.get(reverse("webmail:settings_vacation")).content.decode()
    assert '<span class="badge">on</span>' in page and "from July 1, 2026 to July 21, 2026" in page


def test_switching_on_again_forgets_who_was_answered_but_editing_does_not(alice_client, account):
    alice_client.post(edit_url(account), form_data())
    switched_on = VacationReply.objects.get(account=account).enabled_at
    VacationRecipient.objects.create(
        account=account, address="bob@example.org", replied_at=switched_on
    )
    alice_client.post(edit_url(account), form_data(text="Back on Monday."))
    assert VacationReply.objects.get(account=account).enabled_at == switched_on
    assert VacationRecipient.objects.count() == 1
    alice_client.post(edit_url(account), form_data(enabled=None))
    alice_client.post(edit_url(account), form_data())
    assert VacationReply.objects.get(account=account).enabled_at > switched_on
    assert not VacationRecipient.objects.exists()


def test_the_form_opens_with_defaults_and_shows_what_is_saved(alice_client, account):
    page = alice_client.get(edit_url(account)).content.decode()
    assert 'name="days" value="4"' in page
    alice_client.post(edit_url(account), form_data())
    page = alice_client.get(edit_url(account)).content.decode()
    assert 'value="2026-07-21"' in page and "I am away until 21 July." in page


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"last_day": "2026-06-30"}, "The last day cannot come before the first day."),
        ({"text": "   "}, "Write the message to send."),
        ({"days": "0"}, "greater than or equal to 1"),
        ({"subject": "Away\r\nBcc: victim@example.net"}, "The subject must fit on one line."),
    ],
)
def test_the_form_refuses_what_cannot_work(alice_client, account, changes, error):
    response = alice_client.post(edit_url(account), form_data(**changes))
    assert error in response.content.decode()
    assert not VacationReply.objects.exists()


def test_an_empty_message_is_fine_when_it_is_off(alice_client, account):
    alice_client.post(edit_url(account), form_data(enabled=None, text=""))
    assert not VacationReply.objects.get(account=account).enabled


def test_in_french(alice_client, account):
    french = {"HTTP_ACCEPT_LANGUAGE": "fr"}
    page = alice_client.get(reverse("webmail:settings_vacation"), **french).content.decode()
    assert "Réponse d\u2019absence" in page and "Modifier" in page
    page = alice_client.get(edit_url(account), **french).content.decode()
    assert "Ne répondre qu\u2019aux personnes de mes contacts" in page
    page = alice_client.post(edit_url(account), form_data(last_day="2026-06-01"), **french)
    assert "Le dernier jour ne peut pas précéder le premier." in page.content.decode()


def test_a_strangers_account_is_not_found(client, bob, account):
    client.force_login(bob)
    assert client.get(edit_url(account)).status_code == 404
    assert client.post(edit_url(account), form_data()).status_code == 404
    assert not VacationReply.objects.exists()
    assert (
        "alice@example.net" not in client.get(reverse("webmail:settings_vacation")).content.decode()
    )


def test_the_pages_need_a_signed_in_person(client, account):
    for url in (reverse("webmail:settings_vacation"), edit_url(account)):
        assert client.get(url).url.startswith(reverse("account_login"))
