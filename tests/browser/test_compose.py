"""Writing in the browser: the editor, autosave, suggestions, send, undo; a reply with `r`."""

import pytest
from playwright.sync_api import Page, expect

from tests.compose.conftest import ORIGINAL, local_message
from tests.harness.certs import SERVER_HOSTNAME
from tests.outbox.conftest import SMTP_PASSWORD, SMTP_USER
from webmail.compose.models import Draft
from webmail.models import MailAccount, Message
from webmail.models.preferences import Preferences
from webmail.outbox import engine
from webmail.outbox.models import OutboxMessage


@pytest.fixture
def sender(alice, smtp, mail_ca):
    """alice's (POP3) account, sending through the SMTP fixture."""
    smtp.add_user(SMTP_USER, SMTP_PASSWORD)
    account = MailAccount(
        user=alice, email="alice@courriel.test", protocol="pop3", incoming_host=SERVER_HOSTNAME,
        incoming_port=995, incoming_security="tls", incoming_username=SMTP_USER,
        smtp_host=SERVER_HOSTNAME, smtp_port=smtp.smtps_port, smtp_security="tls",
    )  # fmt: skip
    account.set_incoming_password(SMTP_PASSWORD)
    account.save()
    return account


@pytest.fixture
def known_contact(sender, media):
    folder = sender.folders.create(name="INBOX", special_use="inbox")
    Message.objects.create(
        account=sender, folder=folder, uid=1, from_name="Carl", from_email="carl@example.net",
        internal_date="2026-11-01T10:00Z",
    )  # fmt: skip
    return sender


def test_a_message_is_written_with_the_editor_sent_undone_and_sent_again(
    signed_in_page: Page, site, alice, known_contact, smtp, console_errors, settings
):
    settings.ATTACHMENT_MAX_BYTES = 5000
    Preferences.objects.create(user=alice, undo_send_seconds=30)
    page = signed_in_page
    page.goto(f"{site}/compose/")
    to = page.get_by_label("To", exact=True)
    to.type("car")
    page.get_by_role("option", name="Carl <carl@example.net>").click()
    expect(to).to_have_value("Carl <carl@example.net>, ")
    page.get_by_label("Subject").fill("Plans")
    editor = page.locator("#compose-editor")
    editor.click()
    page.keyboard.type("Hello ")
    page.get_by_role("button", name="Bold").click()
    page.keyboard.type("Carl")
    expect(page.locator("#compose-status")).to_contain_text("Draft saved at", timeout=10_000)
    draft = Draft.objects.get(user=alice)
    assert draft.subject == "Plans" and "Carl" in draft.body_html
    assert "<b>Carl</b>" in draft.body_html  # the vendored editor (Squire) made it bold

    files = page.locator("#compose-files")
    files.set_input_files([{"name": "big.bin", "mimeType": "application/octet-stream",
                            "buffer": b"x" * 9000}])  # fmt: skip
    expect(page.locator("#compose-file-error")).to_contain_text("too large to attach: big.bin")
    files.set_input_files([{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hi"}])
    expect(page.locator(".attachments__list")).to_contain_text("notes.txt")
    expect(page.locator("#compose-editor")).to_contain_text("Hello Carl")

    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("heading", name="Sent")).to_be_visible()
    page.get_by_role("button", name="Undo").click()
    expect(page.locator("#compose-editor")).to_contain_text("Hello Carl")
    expect(page.get_by_label("Subject")).to_have_value("Plans")

    Preferences.objects.filter(user=alice).update(undo_send_seconds=0)
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("heading", name="Sent")).to_be_visible()
    queued = OutboxMessage.objects.get(user=alice, state="queued")
    engine.deliver(queued.pk)
    [received] = smtp.messages
    html = received.parsed().get_body(("html",)).get_content()
    assert "<b>Carl</b>" in html and received.rcpt_tos == ("carl@example.net",)
    [attachment] = received.parsed().iter_attachments()
    assert attachment.get_filename() == "notes.txt"
    assert console_errors == []


def test_a_reply_starts_with_the_r_shortcut_from_the_message_page(
    signed_in_page: Page, site, alice, sender, media, smtp, console_errors
):
    message = local_message(sender, ORIGINAL.replace(b"{me}", sender.email.encode()))
    page = signed_in_page
    page.goto(f"{site}/message/{message.pk}/")
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("r")
    expect(page.get_by_label("To", exact=True)).to_have_value("Bob <bob@example.net>")
    expect(page.get_by_label("Subject")).to_have_value("Re: Lunch on Friday")
    editor = page.locator("#compose-editor")
    expect(editor.locator("blockquote")).to_contain_text("Shall we meet at noon?")
    editor.locator("p").first.click()
    page.keyboard.type("Noon it is.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("heading", name="Sent")).to_be_visible()

    raw = bytes(OutboxMessage.objects.get(user=alice).raw)
    assert b"In-Reply-To: <lunch-2@example.net>" in raw
    assert b"Noon it is." in raw
    assert console_errors == []


def test_the_signature_follows_the_chosen_identity(
    signed_in_page: Page, site, sender, console_errors
):
    from webmail.compose.models import Identity

    work = Identity.objects.create(account=sender, email="al@work.example",
                                   signature="Cheers from work")  # fmt: skip
    page = signed_in_page
    page.goto(f"{site}/compose/")
    editor = page.locator("#compose-editor")
    expect(editor).not_to_contain_text("Cheers from work")
    page.get_by_label("From").select_option(f"identity-{work.pk}")
    expect(editor).to_contain_text("Cheers from work")
    page.get_by_label("From").select_option(f"account-{sender.pk}")
    expect(editor).not_to_contain_text("Cheers from work")
    assert console_errors == []


def test_c_opens_a_new_message(signed_in_page: Page, site, sender, console_errors):
    page = signed_in_page
    page.goto(f"{site}/mail-accounts/")
    page.keyboard.press("c")
    expect(page.get_by_role("heading", name="New message")).to_be_visible()
    assert console_errors == []


def test_cc_and_bcc_wait_behind_a_button_unless_they_hold_something(
    signed_in_page: Page, site, alice, sender, console_errors
):
    page = signed_in_page
    page.goto(f"{site}/compose/")
    cc = page.get_by_label("Cc", exact=True)
    expect(cc).to_be_hidden()
    page.get_by_text("Cc, Bcc").click()
    cc.fill("Dana <dana@example.net>")
    expect(page.locator("#compose-status")).to_contain_text("Draft saved at", timeout=10_000)
    assert "dana@example.net" in Draft.objects.get(user=alice).cc

    page.reload()  # the saved draft comes back with its Cc in sight
    expect(page.get_by_label("Cc", exact=True)).to_have_value("Dana <dana@example.net>")
    expect(page.get_by_text("Cc, Bcc")).to_be_hidden()
    assert console_errors == []
