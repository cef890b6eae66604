"""Settings → Filters: add, edit, check, delete, reorder, run; in French; strangers 404."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.admin.conftest import make_account
from webmail.models import Folder, Message, MessageFilter, SpecialUse

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(alice):
    """alice's account with an Inbox (two messages in it) and a Lists folder."""
    account = make_account(alice, "alice@example.net")
    inbox = Folder.objects.create(account=account, name="INBOX", special_use=SpecialUse.INBOX)
    for uid, sender in [(1, "news@lists.example"), (2, "bob@example.org")]:
        Message.objects.create(
            account=account, folder=inbox, uid=uid, subject=f"Message {uid}",
            from_email=sender, internal_date=timezone.now(),
        )  # fmt: skip
    lists = Folder.objects.create(account=account, name="Lists")
    return {"account": account, "inbox": inbox, "lists": lists}


def form_data(mailbox, **changes) -> dict:
    data = {
        "name": "Newsletters",
        "account": mailbox["account"].pk,
        "match": "all",
        "field_0": "from",
        "operator_0": "contains",
        "value_0": "news@",
        "move_to": mailbox["lists"].pk,
        "enabled": "on",
    }
    for index in range(1, 5):
        data |= {f"field_{index}": "", f"operator_{index}": "contains", f"value_{index}": ""}
    return {key: value for key, value in (data | changes).items() if value is not None}


def add(client, data, **extra):
    return client.post(reverse("webmail:settings_filter_add"), data, **extra)


def make_filter(mailbox, name: str, position: int = 0, **fields) -> MessageFilter:
    conditions = [{"field": "subject", "operator": "contains", "value": name}]
    return MessageFilter.objects.create(
        account=mailbox["account"], name=name, position=position, conditions=conditions,
        **({"mark_read": True} | fields),
    )  # fmt: skip


def names(mailbox) -> list[str]:
    rows = MessageFilter.objects.filter(account=mailbox["account"]).order_by("position")
    return list(rows.values_list("name", flat=True))


def test_adding_a_filter_saves_it_last_and_marks_the_inbox(alice_client, mailbox):
    make_filter(mailbox, "First")
    data = form_data(mailbox, match="any", field_1="subject", operator_1="is", value_1=" Hi ")
    response = add(alice_client, data)
    assert response.url == reverse("webmail:settings_filters")
    rule = MessageFilter.objects.get(name="Newsletters")
    assert (rule.position, rule.match_all, rule.move_to, rule.enabled) == (
        1, False, mailbox["lists"], True,
    )  # fmt: skip
    assert rule.conditions == [
        {"field": "from", "operator": "contains", "value": "news@"},
        {"field": "subject", "operator": "is", "value": "Hi"},
    ]
    mailbox["inbox"].refresh_from_db()
    assert mailbox["inbox"].filtered_uid == 2  # what is there now is not "new mail"
    page = alice_client.get(reverse("webmail:settings_filters")).content.decode()
    assert page.index("First") < page.index("Newsletters")
    assert "move to Lists" in page


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"value_0": "  "}, "Enter the text to look for."),
        ({"field_1": "subject"}, "Enter the text to look for."),
        ({"value_2": "orphan"}, "Choose what to look at."),
        ({"move_to": ""}, "Choose at least one action."),
        ({"trash": "on"}, "Move to a folder or to the Trash, not both."),
        ({"name": ""}, "This field is required."),
    ],
)
def test_a_filter_is_checked_with_clear_messages(alice_client, mailbox, changes, error):
    page = add(alice_client, form_data(mailbox, **changes)).content.decode()
    assert error in page
    assert not MessageFilter.objects.exists()


def test_the_folder_must_belong_to_the_filters_account(alice_client, alice, bob, mailbox):
    other = make_account(alice, "alice@elsewhere.example")
    theirs = Folder.objects.create(account=make_account(bob, "bob@example.net"), name="Bob's")
    page = add(alice_client, form_data(mailbox, account=other.pk)).content.decode()
    assert "Choose a folder of this filter&#x27;s mail account." in page
    page = add(alice_client, form_data(mailbox, move_to=theirs.pk)).content.decode()
    assert "Select a valid choice." in page  # bob's folders are not even offered
    assert not MessageFilter.objects.exists()


def test_editing_keeps_the_filters_place(alice_client, mailbox):
    make_filter(mailbox, "First")
    second = make_filter(mailbox, "Second", position=1)
    form = alice_client.get(reverse("webmail:settings_filter_edit", args=[second.pk]))
    assert 'value="Second"' in form.content.decode()
    data = form_data(mailbox, name="Second, renamed", mark_read="on", move_to="")
    alice_client.post(reverse("webmail:settings_filter_edit", args=[second.pk]), data)
    second.refresh_from_db()
    assert (second.name, second.position, second.move_to, second.mark_read) == (
        "Second, renamed", 1, None, True,
    )  # fmt: skip


def test_filters_move_up_and_down_and_are_turned_off_and_deleted(alice_client, mailbox):
    first, second, third = (make_filter(mailbox, n, p) for p, n in enumerate("ABC"))
    alice_client.post(reverse("webmail:settings_filter_move", args=[third.pk]), {"direction": "up"})
    assert names(mailbox) == ["A", "C", "B"]
    alice_client.post(
        reverse("webmail:settings_filter_move", args=[first.pk]), {"direction": "down"}
    )
    assert names(mailbox) == ["C", "A", "B"]
    alice_client.post(reverse("webmail:settings_filter_toggle", args=[second.pk]))
    second.refresh_from_db()
    assert second.enabled is False
    alice_client.post(reverse("webmail:settings_filter_delete", args=[first.pk]))
    assert names(mailbox) == ["C", "B"]


def test_run_now_says_how_many_messages_it_changed(alice_client, mailbox):
    rule = make_filter(mailbox, "News", move_to=mailbox["lists"], mark_read=False)
    rule.conditions = [{"field": "from", "operator": "contains", "value": "NEWS@"}]
    rule.save()
    url = reverse("webmail:settings_filter_run", args=[rule.pk])
    page = alice_client.post(url, follow=True).content.decode()
    assert "“News” applied to 1 message in the Inbox." in page
    # An IMAP move: the row leaves at once, the server's sync brings it into Lists.
    assert list(mailbox["inbox"].messages.values_list("subject", flat=True)) == ["Message 2"]


def test_in_french(alice_client, mailbox):
    make_filter(mailbox, "Factures")
    french = {"HTTP_ACCEPT_LANGUAGE": "fr"}
    page = alice_client.get(reverse("webmail:settings_filters"), **french).content.decode()
    assert "Exécuter maintenant sur la boîte de réception" in page and "Filtres" in page
    page = add(alice_client, form_data(mailbox, move_to=""), **french).content.decode()
    assert "Choisissez au moins une action." in page
    page = alice_client.get(reverse("webmail:settings_filter_add"), **french).content.decode()
    assert "Nouveau filtre" in page and "Objet" in page


@pytest.mark.parametrize("name", ["edit", "delete", "toggle", "move", "run"])
def test_a_strangers_filter_is_not_found(client, bob, mailbox, name):
    rule = make_filter(mailbox, "Mine")
    client.force_login(bob)
    url = reverse(f"webmail:settings_filter_{name}", args=[rule.pk])
    assert client.post(url).status_code == 404
    assert MessageFilter.objects.get(pk=rule.pk).position == 0


def test_a_stranger_cannot_file_a_filter_under_someone_elses_account(client, bob, mailbox):
    client.force_login(bob)
    add(client, form_data(mailbox))
    assert not MessageFilter.objects.exists()


def test_the_pages_need_a_signed_in_person(client, mailbox):
    response = client.get(reverse("webmail:settings_filters"))
    assert response.url.startswith(reverse("account_login"))


def test_the_new_filter_page_starts_on_the_account_asked_for(alice_client, alice, mailbox):
    other = make_account(alice, "alice@elsewhere.example")
    url = reverse("webmail:settings_filter_add")
    page = alice_client.get(url, {"account": other.pk}).content.decode()
    assert f'<option value="{other.pk}" selected>' in page
    assert alice_client.get(url, {"account": "nonsense"}).status_code == 200
