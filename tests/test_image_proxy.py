"""The remote-image proxy: images only, from public addresses only, nothing of
the reader's sent on, and a signed URL good for that one URL. (fetch_url itself
is tested in tests/mail/test_netguard.py, redirects re-vetted included.)"""

import pytest
from django.core import signing
from django.urls import reverse

from tests.harness.http_server import HTTPServer
from tests.sitesettings.test_storage_and_images import PIXEL
from webmail.services.rendering import PART_SALT, PROXY_SALT, image_proxy_url, inline_part_url
from webmail.views import image_proxy

pytestmark = pytest.mark.django_db


@pytest.fixture
def remote():
    with HTTPServer() as server:
        server.serve("/pixel.png", PIXEL, headers={"Content-Type": "image/png"})
        yield server


@pytest.fixture
def remote_allowed(settings, remote):
    settings.IMAGE_PROXY_ALLOW_PRIVATE = True  # the "remote" server is on loopback here
    return remote


def test_an_image_is_passed_through_not_sniffed_and_sandboxed(client, remote_allowed):
    response = client.get(image_proxy_url(1, remote_allowed.url("/pixel.png")))
    assert response.content == PIXEL
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_a_loopback_address_is_refused_before_any_request_by_default(client, remote):
    response = client.get(image_proxy_url(1, remote.url("/pixel.png")))
    assert response.status_code == 404
    assert remote.requests == []


@pytest.mark.parametrize(
    "content_type",
    ["image/svg+xml", "text/html", "application/xhtml+xml", "text/xml", "", "image/x-icon"],
)
def test_only_raster_image_types_are_passed_through(client, remote_allowed, content_type):
    remote_allowed.serve("/evil", b"<svg onload=alert(1)/>", headers={"Content-Type": content_type})
    assert client.get(image_proxy_url(1, remote_allowed.url("/evil"))).status_code == 404


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.org/a.png", "gopher://127.0.0.1:6379/_INFO"]
)
def test_only_http_and_https_urls_are_fetched(client, settings, url):
    settings.IMAGE_PROXY_ALLOW_PRIVATE = True
    assert client.get(image_proxy_url(1, url)).status_code == 404


def test_an_image_over_the_size_cap_is_refused(client, remote_allowed):
    big = PIXEL + b"\0" * image_proxy.MAX_IMAGE_BYTES
    remote_allowed.serve("/big.png", big, headers={"Content-Type": "image/png"})
    assert client.get(image_proxy_url(1, remote_allowed.url("/big.png"))).status_code == 404


def test_nothing_of_the_reader_is_sent_on_nor_anything_of_the_sender_sent_back(
    alice_client, remote_allowed
):
    remote_allowed.serve(
        "/cookie.png", PIXEL, headers={"Content-Type": "image/png", "Set-Cookie": "track=1"}
    )
    response = alice_client.get(
        image_proxy_url(1, remote_allowed.url("/cookie.png")),
        HTTP_REFERER="https://courriel.test/message/1/",
        HTTP_USER_AGENT="Reader's browser/1.0",
        HTTP_ACCEPT_LANGUAGE="fr-FR",
    )
    assert response.content == PIXEL
    assert "track" not in response.cookies
    sent = {name.lower(): value for name, value in remote_allowed.requests[0].headers.items()}
    assert not {"cookie", "referer", "authorization", "accept-language"} & sent.keys()
    assert "Reader" not in sent["user-agent"]


def test_a_url_signed_with_another_key_is_refused(client, remote_allowed):
    other = remote_allowed.url("/pixel.png")
    forged = signing.dumps([1, other], key="not-the-secret-key", salt=PROXY_SALT, compress=True)
    response = client.get(reverse("webmail:image_proxy"), {"u": forged})
    assert response.status_code == 404
    assert remote_allowed.requests == []


def test_an_inline_part_token_is_not_an_image_proxy_token(client, remote_allowed):
    part_token = inline_part_url(1, remote_allowed.url("/pixel.png")).split("/")[-2]
    assert signing.loads(part_token, salt=PART_SALT)[1].endswith("/pixel.png")
    response = client.get(reverse("webmail:image_proxy"), {"u": part_token})
    assert response.status_code == 404
    assert remote_allowed.requests == []
