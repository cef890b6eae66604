"""Settings → Filters in Chromium, on a desktop and a phone: a filter made through
the form is saved as typed, listed in words, and fits the screen."""

from playwright.sync_api import Page, expect

from webmail.engine import account_sync
from webmail.models import MessageFilter


def scrolls_sideways(page: Page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )


def test_a_filter_is_made_through_the_form(
    signed_in_page: Page, site, account, other_device, console_errors
):
    other_device.create_folder("Lists")
    account_sync.sync_account(account)
    page = signed_in_page
    page.goto(f"{site}/settings/")
    page.locator(".settings__nav").get_by_role("link", name="Filters").click()
    page.get_by_role("link", name="Add a filter").click()
    page.get_by_label("Name").fill("Newsletters")
    first = page.get_by_role("group", name="Condition 1")
    first.get_by_label("Field").select_option(label="From")
    first.get_by_label("Value").fill("news@lists.example.org")
    second = page.get_by_role("group", name="Condition 2")
    second.get_by_label("Field").select_option(label="Subject")
    second.get_by_label("Operator").select_option(label="does not contain")
    page.get_by_role("button", name="Add the filter").click()
    expect(second.get_by_text("Enter the text to look for.")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Choose at least one action.")
    page.get_by_role("group", name="Condition 2").get_by_label("Value").fill("urgent")
    page.get_by_label("Move to", exact=True).select_option(label="Lists")
    page.get_by_label("Mark as read").check()
    assert not scrolls_sideways(page)
    page.get_by_role("button", name="Add the filter").click()
    expect(page.get_by_text("Filter added.")).to_be_visible()
    expect(page.locator(".filter-list__item")).to_contain_text("move to Lists")
    assert not scrolls_sideways(page)
    rule = MessageFilter.objects.get(account=account)
    assert (rule.name, rule.move_to.name, rule.mark_read, rule.match_all) == (
        "Newsletters", "Lists", True, True,
    )  # fmt: skip
    assert rule.conditions == [
        {"field": "from", "operator": "contains", "value": "news@lists.example.org"},
        {"field": "subject", "operator": "not_contains", "value": "urgent"},
    ]
    assert console_errors == []
