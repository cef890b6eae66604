"""The address book as a person uses it: add someone, then write to them."""

import pytest
from playwright.sync_api import Page, expect

from webmail.models import MailAccount

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def account(alice):
    return MailAccount.objects.create(
        user=alice, email="alice@example.org", incoming_host="imap.example.org",
        incoming_port=993, incoming_security="tls", incoming_username="alice",
        smtp_host="smtp.example.org", smtp_port=465, smtp_security="tls",
    )  # fmt: skip


def test_adding_a_contact_then_writing_to_them(signed_in_page: Page, site, account):
    page = signed_in_page
    page.goto(f"{site}/contacts/")
    page.get_by_label("Name").fill("Zoé Lefèvre")
    page.get_by_label("E-mail address").fill("zoe@example.fr")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Contact added.")

    page.get_by_role("link", name="Write", exact=True).last.click()

    expect(page.locator("[name=to]")).to_have_value("Zoé Lefèvre <zoe@example.fr>")
