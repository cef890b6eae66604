"""Print, in Chromium: the message is printed from a hidden, script-free frame."""

import pytest
from playwright.sync_api import Page, expect

from tests.test_message_print import minutes_message
from tests.test_reading_views import stored

pytestmark = pytest.mark.django_db(transaction=True)

# Chromium's print dialog never opens headless; count the calls instead. The spy
# is set by the page on the same-origin frame's window, never inside the frame.
SPY_ON_FRAME_PRINT = """
() => {
  window.printed = 0;
  const getter = Object.getOwnPropertyDescriptor(HTMLIFrameElement.prototype, "contentWindow").get;
  Object.defineProperty(HTMLIFrameElement.prototype, "contentWindow", {
    get() {
      const frameWindow = getter.call(this);
      if (this.id === "print-frame") frameWindow.print = () => (window.printed += 1);
      return frameWindow;
    },
  });
}
"""


def test_print_prints_the_message_and_stays_on_the_page(
    signed_in_page: Page, site, alice, media, console_errors
):
    message = stored(alice, minutes_message(), subject="Minutes of the meeting")
    page = signed_in_page
    page.goto(f"{site}/message/{message.pk}/")
    page.evaluate(SPY_ON_FRAME_PRINT)

    page.get_by_text("More", exact=True).click()
    page.get_by_role("link", name="Print").click()

    page.wait_for_function("() => window.printed === 1")
    assert page.url == f"{site}/message/{message.pk}/"
    frame = page.locator("#print-frame")
    assert "allow-scripts" not in frame.get_attribute("sandbox")
    printed = page.frame_locator("#print-frame")
    expect(printed.get_by_role("heading", name="Minutes of the meeting")).to_be_visible()
    expect(printed.get_by_text("We agreed on")).to_be_visible()
    expect(printed.get_by_text("agenda.pdf")).to_be_visible()
    assert console_errors == []
