"""Reading, acting on and searching mail in Chromium, on desktop and phone, against
an account synced from the real Dovecot."""

from email.message import EmailMessage

import pytest
from playwright.sync_api import Page, expect

from tests.messages import make_message
from webmail.engine import account_sync
from webmail.models import Folder, Message, Preferences

pytestmark = pytest.mark.django_db(transaction=True)


def rich_message() -> bytes:
    message = EmailMessage()
    message["From"] = "Ann Example <ann@example.org>"
    message["To"] = "Alice <alice@courriel.test>"
    message["Subject"] = "Quarterly figures"
    message["Message-ID"] = "<figures@example.org>"
    message.set_content("Figures attached.")
    message.add_alternative("<p>The <b>figures</b> are attached.</p>", subtype="html")
    message.add_attachment(b"a,b\n1,2\n", maintype="text", subtype="csv", filename="q3.csv")
    message.add_attachment(b"%PDF-1.4 tiny", maintype="application", subtype="pdf",
                           filename="q3.pdf")  # fmt: skip
    return bytes(message)


@pytest.fixture
def mailbox(account, dovecot, mail_user):
    dovecot.deliver_many(mail_user, [make_message(n) for n in range(3)] + [rich_message()])
    account_sync.sync_account(account)
    return account


@pytest.fixture
def single_messages(alice):
    """The list shows single messages (the person's choice; conversations are the default)."""
    Preferences.objects.update_or_create(user=alice, defaults={"list_mode": "messages"})


def fits_the_screen(page: Page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")


def middle(locator) -> float:
    box = locator.bounding_box()
    return box["y"] + box["height"] / 2


def inbox_of(account) -> Folder:
    return Folder.objects.get(account=account, name="INBOX")


def test_reading_a_message(signed_in_page: Page, site, mailbox, console_errors, viewport_name):
    page = signed_in_page
    page.goto(f"{site}/folder/{inbox_of(mailbox).pk}/")
    page.get_by_role("link", name="Quarterly figures").click()
    expect(page.get_by_role("heading", name="Quarterly figures")).to_be_visible()
    body = page.frame_locator("iframe.message__body")
    expect(body.get_by_text("are attached")).to_be_visible()
    # The message comes first, on a phone too: its body starts on the first screen.
    screen = page.viewport_size["height"]
    assert page.locator("iframe.message__body").bounding_box()["y"] < screen * 0.8
    # In its conversation, the message's own rarer actions wait behind "More".
    toolbar = page.locator(".message__bar")
    view_source = toolbar.get_by_role("link", name="View source")
    expect(view_source).to_be_hidden()
    toolbar.get_by_text("More", exact=True).click()
    expect(view_source).to_be_visible()
    expect(toolbar.get_by_role("button", name="Mark as unread")).to_be_visible()
    expect(toolbar.get_by_role("button", name="Mark as read")).to_have_count(0)  # it is read
    expect(page.get_by_role("link", name="q3.csv")).to_be_visible()
    expect(page.get_by_role("link", name="Download all (.zip)")).to_be_visible()

    address = page.locator(".message__headers .person__address").first
    expect(address).to_be_hidden()
    page.get_by_text("Show full addresses").click()
    expect(address).to_have_text("<ann@example.org>")
    assert fits_the_screen(page)
    page.screenshot(path=f"test-results/reading-{viewport_name}.png", full_page=True)

    assert Message.objects.get(subject="Quarterly figures").is_seen
    page.get_by_role("link", name="Back to the list").click()
    row = page.locator(".message-list__item", has_text="Quarterly figures")
    expect(row).not_to_have_class("message-list__item message-list__item--unread")
    assert console_errors == []


def test_bulk_actions_and_the_move_menu(
    signed_in_page: Page, site, mailbox, single_messages, console_errors, viewport_name
):
    page = signed_in_page
    inbox = inbox_of(mailbox)
    page.goto(f"{site}/folder/{inbox.pk}/")
    archive = page.get_by_role("button", name="Archive")
    if viewport_name == "phone":  # the bar shows once something is selected
        expect(archive).to_be_hidden()
    for subject in ["Message numéro 0", "Message numéro 1"]:
        page.get_by_role("checkbox", name=f"Select “{subject}”").check()
    archive.click()
    expect(page.get_by_role("link", name="Message numéro 0")).to_have_count(0)
    expect(page.get_by_role("link", name="Message numéro 2")).to_be_visible()
    archived = Message.objects.filter(folder__name="Archive")
    assert not archived.exists()  # on their way: the server's new UIDs come with the sync
    assert Message.objects.filter(folder=inbox).count() == 2

    page.get_by_role("link", name="Message numéro 2").click()
    destination = page.get_by_label("Move to folder")
    move = page.get_by_role("button", name="Move", exact=True)
    assert abs(middle(destination) - middle(move)) < 4  # side by side, not stacked
    destination.select_option(label="Junk")
    page.get_by_role("button", name="Move", exact=True).click()
    expect(page.get_by_role("link", name="Message numéro 2")).to_have_count(0)
    assert fits_the_screen(page)
    page.screenshot(path=f"test-results/actions-{viewport_name}.png", full_page=True)
    assert console_errors == []


def test_dragging_a_message_onto_a_folder_moves_it(
    signed_in_page: Page, site, mailbox, single_messages, viewport_name
):
    if viewport_name == "phone":
        pytest.skip("drag and drop is a desktop gesture; phones use the Move menu")
    page = signed_in_page
    page.goto(f"{site}/folder/{inbox_of(mailbox).pk}/")
    row = page.locator(".message-list__item", has_text="Message numéro 1")
    row.drag_to(page.locator("[data-drop-folder]", has_text="Trash"))
    expect(page.get_by_role("link", name="Message numéro 1")).to_have_count(0)
    expect(page.get_by_role("link", name="Message numéro 0")).to_be_visible()


def test_searching(signed_in_page: Page, site, mailbox, console_errors, viewport_name):
    page = signed_in_page
    page.goto(f"{site}/folder/{inbox_of(mailbox).pk}/")
    page.get_by_role("searchbox", name="Search mail").fill("figures")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Search results")).to_be_visible()
    expect(page.get_by_role("link", name="Quarterly figures")).to_be_visible()
    expect(page.get_by_role("link", name="Message numéro 1")).to_have_count(0)

    page.get_by_role("searchbox", name="Search mail").fill("from:sender1@example.org")
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Message numéro 1")).to_be_visible()
    expect(page.get_by_role("link", name="Quarterly figures")).to_have_count(0)
    assert fits_the_screen(page)
    page.screenshot(path=f"test-results/search-{viewport_name}.png", full_page=True)
    assert console_errors == []


def test_creating_a_folder(signed_in_page: Page, site, mailbox, console_errors, viewport_name):
    page = signed_in_page
    page.goto(f"{site}/folder/{inbox_of(mailbox).pk}/")
    folders_button = page.locator(".mailbox__folders-button")
    if viewport_name == "phone":  # one column at a time: the folders wait behind a button
        expect(page.get_by_role("link", name="Manage folders")).to_be_hidden()
        folders_button.click()
    else:
        expect(folders_button).to_be_hidden()
    page.get_by_role("link", name="Manage folders").click()
    page.get_by_label("Folder name").fill("Voyages")
    page.get_by_role("button", name="Create folder").click()
    expect(page.get_by_text("Folder “Voyages” created.")).to_be_visible()
    assert fits_the_screen(page)
    page.screenshot(path=f"test-results/folders-{viewport_name}.png", full_page=True)
    page.get_by_role("link", name="Back to mail").click()
    expect(page.locator("#folder-nav a", has_text="Voyages")).to_be_attached()
    assert console_errors == []
