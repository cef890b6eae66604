"""A person's preferences are saved from the settings page and really applied."""

import pytest
from django.urls import reverse

from webmail.models import Folder, MailAccount, Message, TrustedSender
from webmail.models.preferences import Preferences
from webmail.raw_store import store_raw

pytestmark = pytest.mark.django_db
REMOTE_IMAGE = (
    b"From: Mallory <mallory@evil.example>\r\nSubject: Pixel\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n\r\n"
    b'<p>Hi</p><img src="https://tracker.example/pixel.gif">'
)
PROFILE = {
    "display_name": "Alice Liddell",
    "language": "fr",
    "time_zone": "Asia/Tokyo",
    "theme": "dark",
    "messages_per_page": "25",
    "list_mode": "messages",
    "compose_format": "plain",
    "undo_send_seconds": "10",
}  # mark_read_on_open left out: an unticked box


@pytest.fixture(autouse=True)
def stored_mail(media):
    """Every test here may store raw messages (tests/conftest.py's media)."""


def inbox_of(user) -> Folder:
    account, _ = MailAccount.objects.get_or_create(
        user=user, email=user.email,
        defaults={"incoming_host": "imap.example.org", "incoming_port": 993,
                  "incoming_security": "tls", "incoming_username": "x",
                  "smtp_host": "smtp.example.org", "smtp_port": 465, "smtp_security": "tls"},
    )  # fmt: skip
    folder, _ = Folder.objects.get_or_create(account=account, name="INBOX", special_use="inbox")
    return folder


def add_message(user, *, uid=1, raw=REMOTE_IMAGE, when="2026-11-01T10:00Z", **fields) -> Message:
    folder = inbox_of(user)
    return Message.objects.create(
        account=folder.account, folder=folder, uid=uid, internal_date=when,
        raw_sha256=store_raw(raw), body_state="indexed", from_email="mallory@evil.example",
        subject=f"Subject {uid}", **fields,
    )  # fmt: skip


def prefer(user, **fields) -> Preferences:
    preferences, _ = Preferences.objects.update_or_create(user=user, defaults=fields)
    return preferences


def test_saving_the_profile_stores_every_preference(alice_client, alice):
    response = alice_client.post(reverse("webmail:settings"), PROFILE)
    assert response.status_code == 302
    saved = Preferences.objects.get(user=alice)
    assert (saved.language, saved.time_zone, saved.theme) == ("fr", "Asia/Tokyo", "dark")
    assert (saved.messages_per_page, saved.list_mode) == (25, "messages")
    assert saved.mark_read_on_open is False
    assert (saved.compose_format, saved.undo_send_seconds) == ("plain", 10)
    alice.refresh_from_db()
    assert alice.display_name == "Alice Liddell"


def test_an_empty_undo_delay_means_the_sites_default(alice_client, alice):
    alice_client.post(reverse("webmail:settings"), {**PROFILE, "undo_send_seconds": ""})
    assert Preferences.objects.get(user=alice).undo_send_seconds is None


@pytest.mark.parametrize(
    ("field", "value"),
    [("messages_per_page", "7"), ("time_zone", "Mars/Olympus"), ("undo_send_seconds", "3")],
)
def test_a_bad_value_is_refused_with_a_message_and_nothing_is_lost(
    alice_client, alice, field, value
):
    prefer(alice, theme="light")
    response = alice_client.post(reverse("webmail:settings"), {**PROFILE, field: value})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert Preferences.objects.get(user=alice).theme == "light"
    assert response.context["form"]["display_name"].value() == "Alice Liddell"  # kept as typed


def test_the_saved_language_wins_over_the_browsers(alice_client, alice):
    prefer(alice, language="fr")
    page = alice_client.get(reverse("webmail:settings"), headers={"accept-language": "en"})
    assert '<html lang="fr"' in page.content.decode()
    assert "Profil" in page.content.decode()


def test_the_language_switcher_saves_the_choice_for_a_signed_in_person(alice_client, alice):
    alice_client.post(reverse("save_language"), {"language": "fr", "next": "/"})
    assert Preferences.objects.get(user=alice).language == "fr"
    alice_client.cookies.clear()  # another browser, with no language cookie
    alice_client.force_login(alice)
    page = alice_client.get(reverse("webmail:home"), headers={"accept-language": "en"})
    assert '<html lang="fr"' in page.content.decode()


def test_the_language_switcher_still_works_for_an_anonymous_visitor(client):
    client.post(reverse("save_language"), {"language": "fr", "next": "/"})
    page = client.get(reverse("account_login")).content.decode()
    assert '<html lang="fr"' in page
    assert not Preferences.objects.exists()


def test_dates_are_shown_in_the_persons_time_zone(alice_client, alice):
    add_message(alice, when="2026-01-01T23:30Z")
    before = alice_client.get(reverse("webmail:home")).content.decode()
    assert 'datetime="2026-01-01T23:30:00+00:00"' in before
    prefer(alice, time_zone="Asia/Tokyo")
    after = alice_client.get(reverse("webmail:home")).content.decode()
    assert 'datetime="2026-01-02T08:30:00+09:00"' in after
    assert "01/02/2026" in after  # the day it was there, not the day it was in UTC


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_chosen_theme_is_set_on_the_page(alice_client, alice, theme):
    prefer(alice, theme=theme)
    page = alice_client.get(reverse("webmail:settings")).content.decode()
    assert f'data-theme="{theme}"' in page
    assert f'<meta name="color-scheme" content="{theme}">' in page


def test_the_system_theme_follows_the_device(alice_client, alice):
    prefer(alice, theme="system")
    page = alice_client.get(reverse("webmail:settings")).content.decode()
    assert "data-theme" not in page
    assert '<meta name="color-scheme" content="light dark">' in page


@pytest.mark.parametrize("url", ["/", "/all/inbox/", "/search/?q=Subject"])
def test_lists_show_as_many_messages_per_page_as_chosen(alice_client, alice, url):
    for uid in range(1, 31):
        add_message(alice, uid=uid, when=f"2026-11-01T10:{uid:02}Z")
    assert len(alice_client.get(url).context["messages_list"]) == 30
    prefer(alice, messages_per_page=25)
    response = alice_client.get(url)
    assert len(response.context["messages_list"]) == 25
    assert response.context["older_cursor"]


def test_the_folder_list_uses_the_chosen_page_size(alice_client, alice):
    for uid in range(1, 31):
        add_message(alice, uid=uid, when=f"2026-11-01T10:{uid:02}Z")
    prefer(alice, messages_per_page=25)
    response = alice_client.get(reverse("webmail:folder", args=[inbox_of(alice).pk]))
    assert len(response.context["messages_list"]) == 25


def test_opening_a_message_marks_it_read_by_default(alice_client, alice):
    message = add_message(alice, is_seen=False)
    page = alice_client.get(reverse("webmail:message", args=[message.pk])).content.decode()
    message.refresh_from_db()
    assert message.is_seen
    assert 'value="read"' not in page  # the page already shows it read


def test_with_mark_read_on_open_off_an_opened_message_stays_unread(alice_client, alice):
    prefer(alice, mark_read_on_open=False)
    message = add_message(alice, is_seen=False)
    page = alice_client.get(reverse("webmail:message", args=[message.pk])).content.decode()
    message.refresh_from_db()
    assert not message.is_seen
    assert 'value="read"' in page  # and it can be marked read by hand


def message_and_body(client, message, query=""):
    page = client.get(reverse("webmail:message", args=[message.pk]) + query).content.decode()
    body = client.get(reverse("webmail:message_body", args=[message.pk]) + query)
    return page, body.content.decode()


def test_ask_blocks_remote_images_and_offers_them(alice_client, alice):
    message = add_message(alice)
    page, body = message_and_body(alice_client, message)
    assert "Show images" in page
    assert "/image-proxy/" not in body
    _page, asked = message_and_body(alice_client, message, "?images=1")
    assert "/image-proxy/?u=" in asked


def test_never_shows_remote_images_nor_offers_them_even_for_a_trusted_sender(alice_client, alice):
    prefer(alice, remote_content="never")
    message = add_message(alice)
    TrustedSender.objects.create(user=alice, email="mallory@evil.example")
    page, body = message_and_body(alice_client, message, "?images=1")
    assert "Show images" not in page and "Always show images from" not in page
    assert "/image-proxy/" not in body and "tracker.example" not in body


def test_always_loads_remote_images_through_the_proxy_without_asking(alice_client, alice):
    prefer(alice, remote_content="always")
    message = add_message(alice)
    page, body = message_and_body(alice_client, message)
    assert "Show images" not in page
    assert "/image-proxy/?u=" in body
    assert 'src="https://tracker.example' not in body


def test_the_privacy_section_saves_the_remote_content_policy(alice_client, alice):
    response = alice_client.post(reverse("webmail:settings_privacy"), {"remote_content": "never"})
    assert response.status_code == 302
    assert Preferences.objects.get(user=alice).remote_content == "never"
    refused = alice_client.post(reverse("webmail:settings_privacy"), {"remote_content": "often"})
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    assert Preferences.objects.get(user=alice).remote_content == "never"


def test_trusted_senders_are_listed_and_removed_by_their_owner_only(client, alice, bob):
    mine = TrustedSender.objects.create(user=alice, email="friend@example.org")
    TrustedSender.objects.create(user=bob, email="bobs-friend@example.org")
    client.force_login(alice)
    page = client.get(reverse("webmail:settings_privacy")).content.decode()
    assert "friend@example.org" in page and "bobs-friend@example.org" not in page
    client.force_login(bob)
    response = client.post(reverse("webmail:remove_trusted_sender", args=[mine.pk]))
    assert response.status_code == 404
    assert TrustedSender.objects.filter(pk=mine.pk).exists()
    client.force_login(alice)
    client.post(reverse("webmail:remove_trusted_sender", args=[mine.pk]))
    assert not TrustedSender.objects.filter(pk=mine.pk).exists()


def test_the_accounts_section_shows_status_and_the_error(alice_client, alice):
    account = inbox_of(alice).account
    account.status, account.last_error = "error", "connect_failed"
    account.save()
    page = alice_client.get(reverse("webmail:settings_accounts")).content.decode()
    assert alice.email in page and "Error" in page
    assert reverse("webmail:account_edit", args=[account.pk]) in page
    assert reverse("webmail:account_delete", args=[account.pk]) in page


def test_the_sync_interval_is_editable_by_the_owner_only(client, alice, bob):
    account = inbox_of(alice).account
    url = reverse("webmail:settings_sync_interval", args=[account.pk])
    field = f"account-{account.pk}-sync_interval"
    client.force_login(bob)
    assert client.post(url, {field: "900"}).status_code == 404
    client.force_login(alice)
    client.post(url, {field: "5"})  # not offered: refused
    account.refresh_from_db()
    assert account.sync_interval == 300
    client.post(url, {field: "900"})
    account.refresh_from_db()
    assert account.sync_interval == 900


def test_the_message_page_shows_its_date_in_the_persons_time_zone(alice_client, alice):
    raw = b"From: a@example.org\r\nDate: Thu, 01 Jan 2026 23:30:00 +0000\r\n\r\nHi\r\n"
    message = add_message(alice, raw=raw, when="2026-01-01T23:30Z")
    prefer(alice, time_zone="Asia/Tokyo")
    page = alice_client.get(reverse("webmail:message", args=[message.pk])).content.decode()
    assert "Jan. 2, 2026, 8:30 a.m." in page


def test_a_refused_form_does_not_change_the_page_it_is_shown_on(alice_client, alice):
    prefer(alice, theme="light")
    response = alice_client.post(
        reverse("webmail:settings"), {**PROFILE, "theme": "dark", "messages_per_page": "7"}
    )
    assert response.status_code == 200
    assert 'data-theme="light"' in response.content.decode()


def test_intervals_below_the_sites_minimum_are_neither_offered_nor_taken(
    alice_client, alice, settings
):
    settings.SYNC_INTERVAL_MINIMUM_SECONDS = 600
    account = inbox_of(alice).account
    page = alice_client.get(reverse("webmail:settings_accounts")).content.decode()
    assert 'value="300"' not in page and 'value="900"' in page
    field = f"account-{account.pk}-sync_interval"
    alice_client.post(reverse("webmail:settings_sync_interval", args=[account.pk]), {field: "120"})
    account.refresh_from_db()
    assert account.sync_interval == 300  # unchanged
