"""Inline images and thumbnails cost at most one parse of the message each, and
usually none: the body and the page cache them, and the cache never outlives
the token's or the owner's check, nor the message's row."""

import re
from email.message import EmailMessage
from html import unescape

import pytest
from django.core import signing
from django.test import Client, override_settings
from django.urls import reverse

from tests.harness.ports import LOOPBACK, free_port
from tests.test_message_page import PNG, with_attachments
from tests.test_reading_views import stored
from webmail.mail import mime
from webmail.mail.mime import parse_for_display
from webmail.services import inline_images
from webmail.services.rendering import MAX_INLINE_IMAGES, inline_part_url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
IMAGE_URL = re.compile(r'src="(/inline/[^"]+)"')
THUMBNAIL_URL = re.compile(r'<img class="attachments__thumb" src="([^"]+)"')
DOWN_CACHE = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": f"redis://{LOOPBACK}:{free_port()}/0",  # nobody listens
}


@pytest.fixture
def parses(monkeypatch) -> list[int]:
    """How many times a whole message is parsed, by anyone (each noted, then done):
    every reader of a message for display goes through mime.parse_raw's feed parser."""
    calls: list[int] = []

    class CountedParser(mime.BytesFeedParser):
        def __init__(self, *args, **kwargs):
            calls.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(mime, "BytesFeedParser", CountedParser)
    return calls


def with_images(count: int, *, padding: bytes = b"", attachments: int = 0) -> bytes:
    """An HTML body showing ``count`` distinct related images, logo-0 first,
    then ``attachments`` attached images."""
    message = EmailMessage()
    message["From"] = "News <news@example.org>"
    message["Subject"] = "Newsletter"
    tags = "".join(f'<img src="cid:logo-{number}@example">' for number in range(count))
    message.set_content(f"<p>{tags}</p>", subtype="html")
    for number in range(count):
        data = image_bytes(number, padding)
        message.add_related(data, maintype="image", subtype="png", cid=f"<logo-{number}@example>")
    for number in range(attachments):
        data = image_bytes(number)
        message.add_attachment(data, maintype="image", subtype="png", filename=f"{number}.png")
    return bytes(message)


def image_bytes(number: int, padding: bytes = b"") -> bytes:
    return PNG + number.to_bytes(2) + padding


def body_image_urls(alice_client, message) -> list[str]:
    body = alice_client.get(reverse("webmail:message_body", args=[message.pk]))
    assert body.status_code == 200
    return [unescape(url) for url in IMAGE_URL.findall(body.content.decode())]


def test_an_uncached_inline_image_costs_one_parse(alice, parses):
    message = stored(alice, with_images(3))
    response = Client().get(inline_part_url(message.pk, "logo-2@example"))
    assert response.content == image_bytes(2)
    assert response.headers["Content-Type"] == "image/png"
    assert len(parses) == 1


def test_a_thumbnail_costs_one_parse(alice_client, alice, parses):
    message = stored(alice, with_attachments(("a.png", "image/png", PNG)))
    url = reverse("webmail:message_part", args=[message.pk, 1])
    response = alice_client.get(url, {"preview": "1"})
    assert (response.content, response.headers["Content-Type"]) == (PNG, "image/png")
    assert len(parses) == 1


def test_the_body_parses_once_and_its_images_then_not_at_all(alice_client, alice, parses):
    message = stored(alice, with_images(5))
    urls = body_image_urls(alice_client, message)
    assert len(parses) == 1
    iframe = Client()  # no session: the URLs' tokens are the permission
    served = [iframe.get(url) for url in urls]
    assert [response.content for response in served] == [image_bytes(n) for n in range(5)]
    assert {response.headers["Content-Type"] for response in served} == {"image/png"}
    assert {response.headers["X-Content-Type-Options"] for response in served} == {"nosniff"}
    assert all("sandbox" in response.headers["Content-Security-Policy"] for response in served)
    assert len(parses) == 1


def test_a_cached_image_of_a_deleted_message_is_404(alice_client, alice, parses):
    message = stored(alice, with_images(1))
    [url] = body_image_urls(alice_client, message)
    assert Client().get(url).content == image_bytes(0)
    assert len(parses) == 1  # the image came from the cache
    message.delete()
    assert Client().get(url).status_code == 404


def test_the_page_parses_once_and_its_thumbnails_then_not_at_all(alice_client, alice, parses):
    files = [(f"{n}.png", "image/png", image_bytes(n)) for n in range(3)]
    message = stored(alice, with_attachments(*files, ("a.pdf", "application/pdf", b"%PDF-1")))
    page = alice_client.get(reverse("webmail:message", args=[message.pk]))
    assert len(parses) == 1
    urls = THUMBNAIL_URL.findall(page.content.decode())
    assert len(urls) == 3
    served = [alice_client.get(unescape(url)) for url in urls]
    assert [response.content for response in served] == [image_bytes(n) for n in range(3)]
    assert {response.headers["Content-Type"] for response in served} == {"image/png"}
    assert all("sandbox" in response.headers["Content-Security-Policy"] for response in served)
    assert len(parses) == 1


def test_a_cached_thumbnail_stays_out_of_a_strangers_reach_and_goes_with_its_message(
    client, alice, bob, parses
):
    message = stored(alice, with_attachments(("a.png", "image/png", PNG)))
    thumbnail = reverse("webmail:message_part", args=[message.pk, 1]) + "?preview=1"
    client.force_login(alice)
    client.get(reverse("webmail:message", args=[message.pk]))
    assert client.get(thumbnail).content == PNG
    assert len(parses) == 1  # the thumbnail came from the cache
    client.force_login(bob)
    assert client.get(thumbnail).status_code == 404
    client.force_login(alice)
    message.delete()
    assert client.get(thumbnail).status_code == 404


def test_a_whole_page_view_parses_the_message_twice_whatever_its_images(
    alice_client, alice, parses
):
    message = stored(alice, with_images(4, attachments=3))
    page = alice_client.get(reverse("webmail:message", args=[message.pk])).content.decode()
    thumbnails, images = THUMBNAIL_URL.findall(page), body_image_urls(alice_client, message)
    assert (len(thumbnails), len(images)) == (3, 4)
    for url in thumbnails + images:
        assert alice_client.get(unescape(url)).status_code == 200
    assert len(parses) == 2  # the page, the body


def test_a_cached_image_needs_a_token_that_verifies(alice_client, alice, settings):
    message = stored(alice, with_images(1))
    [url] = body_image_urls(alice_client, message)
    token = url.split("/")[-2]
    forged = signing.dumps([message.pk, "logo-0@example"], salt="another-salt", compress=True)
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), forged):
        assert Client().get(reverse("webmail:message_cid", args=[bad])).status_code == 404
    settings.SECRET_KEY = "a-rotated-secret-key-" + "x" * 40
    assert Client().get(url).status_code == 404


def test_images_past_the_cache_budget_cost_a_parse_per_budgets_worth(
    alice_client, alice, parses, monkeypatch
):
    padding = b"\0" * 3000
    monkeypatch.setattr(inline_images, "CACHE_BYTES_PER_PAGE", 9000)  # two images, not three
    message = stored(alice, with_images(6, padding=padding))
    urls = body_image_urls(alice_client, message)
    served = [Client().get(url).content for url in urls]
    assert served == [image_bytes(n, padding) for n in range(6)]
    # The body caches images 0 and 1; the miss of 2 caches 3 and 4; 5 misses.
    assert len(parses) == 1 + 2


def test_thumbnails_past_the_cache_budget_cost_a_parse_per_budgets_worth(
    alice_client, alice, parses, monkeypatch
):
    padding = b"\0" * 3000
    monkeypatch.setattr(inline_images, "CACHE_BYTES_PER_PAGE", 9000)
    files = [(f"{n}.png", "image/png", image_bytes(n, padding)) for n in range(6)]
    message = stored(alice, with_attachments(*files))
    page = alice_client.get(reverse("webmail:message", args=[message.pk])).content.decode()
    served = [alice_client.get(unescape(url)).content for url in THUMBNAIL_URL.findall(page)]
    assert served == [image_bytes(n, padding) for n in range(6)]
    assert len(parses) == 1 + 2


def test_a_missed_image_is_the_one_listed_under_its_content_id(alice):
    raw = (
        b"Content-Type: multipart/related; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/html\r\n\r\n<img src=cid:a>\r\n"
        b"--b\r\nContent-Type: image/png\r\nContent-ID: <a>\r\n\r\nfirst\r\n"
        b"--b\r\nContent-Type: image/gif\r\nContent-ID: <a>\r\n\r\nsecond\r\n--b--\r\n"
    )
    listed = parse_for_display(raw).inline_parts["a"]
    assert inline_images.inline_image_of(1, raw, "a") == (listed, b"second")
    assert inline_images.inline_image_of(1, raw, "b") is None


def test_a_missed_image_of_a_message_past_the_display_caps_is_none():
    def image(filler: int) -> bytes:
        headers = b"X-Filler: " + b"y" * filler + b"\r\nContent-Type: image/png\r\n"
        return headers + b"Content-ID: <a>\r\n\r\nz"

    assert inline_images.inline_image_of(1, image(10), "a")[1] == b"z"
    assert inline_images.inline_image_of(1, image(400_000), "a") is None


def test_an_svg_is_neither_cached_nor_served(alice_client, alice, parses):
    raw = with_images(1).replace(b"image/png", b"image/svg+xml")
    message = stored(alice, raw)
    [url] = body_image_urls(alice_client, message)
    assert Client().get(url).status_code == 404
    assert len(parses) == 2  # not in the cache: looked up in the message, and refused


def test_a_body_links_at_most_the_first_hundred_inline_images(alice_client, alice):
    message = stored(alice, with_images(MAX_INLINE_IMAGES + 1))
    urls = body_image_urls(alice_client, message)
    assert len(urls) == MAX_INLINE_IMAGES
    assert Client().get(urls[-1]).content == image_bytes(MAX_INLINE_IMAGES - 1)


def test_without_the_cache_images_are_still_served(alice_client, alice, parses):
    message = stored(alice, with_images(2))
    # Not the settings fixture: it is undone after conftest's cache clean-up.
    with override_settings(CACHES={"default": DOWN_CACHE}):
        urls = body_image_urls(alice_client, message)
        served = [Client().get(url).content for url in urls]
    assert served == [image_bytes(n) for n in range(2)]
    assert len(parses) == 1 + 2
