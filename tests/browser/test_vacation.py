"""Settings → Vacation reply in Chromium, on a desktop and a phone: switched on
through the form, checked, saved as typed, and it fits the screen."""

from datetime import date

from playwright.sync_api import Page, expect

from webmail.models import VacationReply


def scrolls_sideways(page: Page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )


def test_the_vacation_reply_is_switched_on_through_the_form(
    signed_in_page: Page, site, account, console_errors
):
    page = signed_in_page
    page.goto(f"{site}/settings/")
    page.locator(".settings__nav").get_by_role("link", name="Vacation reply").click()
    page.get_by_role("link", name=f"Change the vacation reply of {account.email}").click()
    page.get_by_label("Send a vacation reply").check()
    page.get_by_label("First day").fill("2026-12-20")
    page.get_by_label("Last day").fill("2026-12-10")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The last day cannot come before the first day.")).to_be_visible()
    expect(page.get_by_text("Write the message to send.")).to_be_visible()
    page.get_by_label("Last day").fill("2027-01-04")
    page.get_by_label("Message").fill("I am away until 4 January.\nAsk Bob for anything urgent.")
    page.get_by_label("Only reply to people in my contacts").check()
    assert not scrolls_sideways(page)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(f"Your vacation reply is on for {account.email}.")).to_be_visible()
    expect(page.locator(".account-list__item")).to_contain_text("on")
    assert not scrolls_sideways(page)
    reply = VacationReply.objects.get(account=account)
    assert (reply.enabled, reply.first_day, reply.last_day, reply.days) == (
        True, date(2026, 12, 20), date(2027, 1, 4), 4,
    )  # fmt: skip
    assert reply.text == "I am away until 4 January.\r\nAsk Bob for anything urgent."
    assert reply.contacts_only and reply.enabled_at is not None
    assert console_errors == []
