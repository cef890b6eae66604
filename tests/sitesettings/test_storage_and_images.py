"""The per-person storage limit (POP3 mail kept here) and the image proxy switch."""

import base64

import pytest
from django.urls import reverse

from tests.harness.http_server import HTTPServer
from tests.messages import make_message
from tests.pop3.conftest import make_pop3_account, waiting_on_server
from tests.sitesettings.conftest import save_site_settings
from tests.test_reading_views import stored
from webmail.models import AccountStatus, MailAccount, TrustedSender
from webmail.pop3 import engine
from webmail.services.rendering import image_proxy_url

pytestmark = pytest.mark.django_db

# A 1 by 1 transparent PNG.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "media")},
    }}  # fmt: skip


def test_the_sites_storage_limit_stops_pop3_downloads(alice, dovecot, mail_ca, media, settings):
    settings.POP3_STORAGE_LIMIT_BYTES = 10**9  # the environment is generous; the admin is not
    save_site_settings(storage_limit_bytes=2 * len(make_message(1)) + 100)
    user = dovecot.add_user()
    account = make_pop3_account(alice, user, dovecot.pop3s_port)
    dovecot.deliver_many(user, [make_message(n) for n in range(1, 6)])

    result = engine.fetch_account(account)

    assert (result.downloaded, result.over_limit) == (2, 3)
    assert waiting_on_server(account) == 3
    assert MailAccount.objects.get(pk=account.pk).status == AccountStatus.ERROR


def test_the_options_page_shows_the_sites_limit(client, alice, media):
    account = MailAccount.objects.create(
        user=alice, email="p@example.org", protocol="pop3", incoming_host="pop.example.org",
        incoming_port=995, incoming_security="tls", incoming_username="p",
        smtp_host="smtp.example.org", smtp_port=465, smtp_security="tls",
    )  # fmt: skip
    save_site_settings(storage_limit_bytes=5 * 1024**2)
    client.force_login(alice)
    page = client.get(reverse("pop3:options", args=[account.pk])).content.decode()
    assert "5.0\xa0MB" in page


HTML_WITH_IMAGE = (
    b"From: Mallory <mallory@evil.example>\r\nSubject: Pictures\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n\r\n"
    b'<p>Look</p><img src="https://images.example/pixel.png" alt="pixel">'
)


def test_with_the_proxy_off_remote_images_are_never_offered_nor_shown(alice_client, alice, media):
    message = stored(alice, HTML_WITH_IMAGE)
    TrustedSender.objects.create(user=alice, email="mallory@evil.example")
    save_site_settings(image_proxy_enabled=False)

    page = alice_client.get(reverse("webmail:message", args=[message.pk])).content.decode()
    assert "Show images" not in page and "Always show images" not in page
    assert "Remote images are never shown on this site" in page
    body_url = reverse("webmail:message_body", args=[message.pk])
    body = alice_client.get(body_url, {"images": "1"}).content.decode()
    assert "/image-proxy/" not in body and "images.example" not in body


def test_with_the_proxy_on_the_offer_is_made(alice_client, alice, media):
    message = stored(alice, HTML_WITH_IMAGE)
    page = alice_client.get(reverse("webmail:message", args=[message.pk])).content.decode()
    assert "Show images" in page
    body_url = reverse("webmail:message_body", args=[message.pk])
    assert "/image-proxy/?u=" in alice_client.get(body_url, {"images": "1"}).content.decode()


@pytest.fixture
def image_server(settings):
    settings.IMAGE_PROXY_ALLOW_PRIVATE = True  # the "remote" server is on loopback here
    with HTTPServer() as server:
        server.serve("/pixel.png", PIXEL, headers={"Content-Type": "image/png"})
        yield server


def test_switching_the_proxy_off_stops_links_already_handed_out(client, alice, image_server):
    url = image_proxy_url(alice.pk, image_server.url("/pixel.png"))
    assert client.get(url).content == PIXEL
    save_site_settings(image_proxy_enabled=False)
    assert client.get(url).status_code == 404
    assert len(image_server.requests) == 1  # nothing fetched once switched off
