"""The address book as a person uses it: add someone, then write to them."""

import pytest
from playwright.sync_api import Page, expect

from tests.messages import offline_account

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def account(alice):
    return offline_account(alice)


def test_adding_a_contact_then_writing_to_them(signed_in_page: Page, site, account):
    page = signed_in_page
    page.goto(f"{site}/contacts/")
    page.get_by_label("Name").fill("Zoé Lefèvre")
    page.get_by_label("E-mail address").fill("zoe@example.fr")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Contact added.")

    page.get_by_role("link", name="Write", exact=True).last.click()

    expect(page.locator("[name=to]")).to_have_value("Zoé Lefèvre <zoe@example.fr>")
