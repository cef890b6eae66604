"""Every view that hands mail bytes back to the browser: owner only, never
rendered as markup from our origin, safe file names, no server error on hostile
mail. (The basics are in test_reading_views.py and test_message_page.py.)"""

from email.message import EmailMessage
from urllib.parse import quote, unquote

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from tests.harness.ports import LOOPBACK, free_port
from tests.messages import make_message
from tests.pop3.conftest import make_pop3_account
from tests.test_message_page import PNG, with_attachments
from tests.test_reading_views import CORPUS, stored
from webmail.models import Message
from webmail.pop3 import engine
from webmail.raw_store import raw_path
from webmail.services.rendering import inline_part_url, unsign_inline_part

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
HTML_SOURCE = b"Subject: x\r\nContent-Type: text/html\r\n\r\n<script>alert(1)</script>\r\n"


def message_urls(message: Message) -> dict[str, str]:
    """Every per-message view that sends bytes of the mail back."""
    by_pk = ["message", "message_body", "message_attachments_zip", "message_raw", "message_source"]
    urls = {view: reverse(f"webmail:{view}", args=[message.pk]) for view in by_pk}
    urls["message_part"] = reverse("webmail:message_part", args=[message.pk, 1])
    return urls


def with_related_image(content_type: str, data: bytes) -> bytes:
    message = EmailMessage()
    message["From"] = "Mallory <mallory@evil.example>"
    message["Subject"] = "Logo"
    message.set_content('<p><img src="cid:logo@example"></p>', subtype="html")
    maintype, subtype = content_type.split("/")
    message.add_related(data, maintype=maintype, subtype=subtype, cid="<logo@example>")
    return bytes(message)


def attachment_named(disposition: str) -> bytes:
    return (
        b"From: a@example.org\r\nSubject: Names\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nText\r\n"
        b"--b\r\nContent-Type: application/pdf\r\n"
        b"Content-Disposition: " + disposition.encode() + b"\r\n\r\n%PDF-1.4\r\n--b--\r\n"
    )


# --- Owner only ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_strangers_pop3_message_is_out_of_reach_in_every_view(
    client, alice, bob, dovecot, mail_ca
):
    user = dovecot.add_user()
    account = make_pop3_account(alice, user, dovecot.pop3s_port)
    dovecot.deliver_many(user, [with_attachments(("a.pdf", "application/pdf", b"%PDF-1 a"))])
    engine.fetch_account(account)
    message = Message.objects.get(account=account)
    urls = message_urls(message)
    client.force_login(bob)
    assert {view: client.get(url).status_code for view, url in urls.items()} == dict.fromkeys(
        urls, 404
    )
    client.force_login(alice)
    assert {view: client.get(url).status_code for view, url in urls.items()} == dict.fromkeys(
        urls, 200
    )


def test_a_deleted_messages_id_and_inline_links_are_404_even_for_its_owner(alice_client, alice):
    message = stored(alice, with_related_image("image/png", PNG))
    urls = message_urls(message)
    urls["message_cid"] = inline_part_url(message.pk, "logo@example")
    assert alice_client.get(urls["message_cid"]).content == PNG
    message.delete()
    assert {view: alice_client.get(url).status_code for view, url in urls.items()} == dict.fromkeys(
        urls, 404
    )


def test_a_pop3_message_whose_only_copy_is_gone_is_404(alice_client, alice):
    message = stored(alice, with_attachments(("a.pdf", "application/pdf", b"%PDF-1 a")))
    message.account.protocol = "pop3"
    message.account.save()
    default_storage.delete(raw_path(message.raw_sha256))
    for view, url in message_urls(message).items():
        assert alice_client.get(url).status_code == 404, view


def test_a_server_that_cannot_be_reached_gives_a_page_that_says_so(alice_client, alice):
    message = stored(alice, make_message(1))
    Message.objects.filter(pk=message.pk).update(raw_sha256="")  # only the server has it
    account = message.account
    account.incoming_host, account.incoming_port = LOOPBACK, free_port()  # nobody listens
    account.set_incoming_password("secret")
    account.save()
    for view, url in message_urls(message).items():
        response = alice_client.get(url)
        assert response.status_code == 503, view
        assert "This message cannot be opened right now." in response.content.decode(), view
    # An <img> of the body iframe: nothing to show, nothing to tell a token holder.
    image = alice_client.get(inline_part_url(message.pk, "logo@example"))
    assert (image.status_code, image.content) == (503, b"")


# --- Never markup from our origin ----------------------------------------------


@pytest.mark.parametrize(
    "content_type", ["text/html", "image/svg+xml", "application/xhtml+xml", "text/xml"]
)
def test_markup_parts_are_downloads_even_when_a_preview_is_asked(alice_client, alice, content_type):
    message = stored(alice, with_attachments(("page", content_type, b"<svg onload=alert(1)>")))
    url = reverse("webmail:message_part", args=[message.pk, 1])
    response = alice_client.get(url, {"preview": "1"})
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_an_inline_image_is_served_as_that_image_under_a_sandbox(client, alice):
    message = stored(alice, with_related_image("image/png", PNG))
    # No session: the URL's token is the permission.
    response = client.get(inline_part_url(message.pk, "logo@example"))
    assert response.content == PNG
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_an_svg_inline_part_is_never_served_by_its_content_id(client, alice):
    message = stored(alice, with_related_image("image/svg+xml", b"<svg onload=alert(1)/>"))
    assert client.get(inline_part_url(message.pk, "logo@example")).status_code == 404


def test_the_body_document_is_not_sniffed_and_leaks_no_referrer(alice_client, alice):
    message = stored(alice, with_related_image("image/png", PNG))
    response = alice_client.get(reverse("webmail:message_body", args=[message.pk]))
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_the_source_is_plain_text_and_the_eml_a_download(alice_client, alice):
    message = stored(alice, HTML_SOURCE, subject='Re: "you"\r\nX-Evil: 1')
    source = alice_client.get(reverse("webmail:message_source", args=[message.pk]))
    assert source.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert source.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in source.headers["Content-Security-Policy"]
    raw = alice_client.get(reverse("webmail:message_raw", args=[message.pk]))
    assert raw.headers["Content-Type"] == "message/rfc822"
    assert (
        raw.headers["Content-Disposition"] == 'attachment; filename="Re: \\"you\\"__X-Evil: 1.eml"'
    )
    assert raw.content == HTML_SOURCE


# --- File names --------------------------------------------------------------------


def download_name(alice_client, message: Message) -> str:
    response = alice_client.get(reverse("webmail:message_part", args=[message.pk, 1]))
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    if "filename*=utf-8''" in disposition:
        return unquote(disposition.split("filename*=utf-8''", 1)[1])
    return disposition.split('filename="', 1)[1].removesuffix('"').replace('\\"', '"')


def test_an_encoded_line_break_cannot_add_a_header_or_a_second_name(alice_client, alice):
    encoded = "=?utf-8?q?a=0D=0AX-Evil:_1=22;_filename=3Devil.html?="
    message = stored(alice, attachment_named(f'attachment; filename="{encoded}"'))
    response = alice_client.get(reverse("webmail:message_part", args=[message.pk, 1]))
    disposition = response.headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    assert disposition == 'attachment; filename="a__X-Evil: 1\\"; filename=evil.html"'
    assert "X-Evil" not in response.headers


def test_a_non_ascii_name_is_sent_in_rfc_5987_form(alice_client, alice):
    name = "relevé d'août 日本.pdf"
    message = stored(alice, attachment_named(f"attachment; filename*=utf-8''{quote(name)}"))
    response = alice_client.get(reverse("webmail:message_part", args=[message.pk, 1]))
    assert response.headers["Content-Disposition"] == f"attachment; filename*=utf-8''{quote(name)}"


def test_windows_path_separators_are_replaced(alice_client, alice):
    message = stored(alice, attachment_named('attachment; filename="C:\\\\temp\\\\a.pdf"'))
    assert download_name(alice_client, message) == "C:_temp_a.pdf"


def test_an_over_long_name_is_cut_in_the_middle_keeping_its_extension(alice_client, alice):
    name = "日" * 300 + ".pdf"
    message = stored(alice, attachment_named(f"attachment; filename*=utf-8''{quote(name)}"))
    downloaded = download_name(alice_client, message)
    assert downloaded.endswith("日.pdf")
    assert len(downloaded.encode()) <= 200


# --- Hostile structure -----------------------------------------------------------


def test_an_eight_bit_content_id_is_read_as_utf8_not_a_server_error(alice_client, alice):
    message = stored(alice, (CORPUS / "eight-bit-content-id.eml").read_bytes())
    urls = message_urls(message)
    statuses = {view: alice_client.get(url).status_code for view, url in urls.items()}
    assert statuses == {**dict.fromkeys(urls, 200), "message_attachments_zip": 404}
    body = alice_client.get(urls["message_body"]).content.decode()
    image_url = body.split('src="', 1)[1].split('"', 1)[0]
    assert unsign_inline_part(image_url.split("/")[-2]) == (message.pk, "logo-é@example")
    assert alice_client.get(image_url).content.startswith(b"\x89PNG")


def test_a_broken_base64_attachment_downloads_what_can_be_decoded(alice_client, alice):
    raw = attachment_named("attachment; filename=a.pdf").replace(
        b"\r\n\r\n%PDF-1.4\r\n--b--",
        b"\r\nContent-Transfer-Encoding: base64\r\n\r\n!!*\xff==\r\n--b--",
    )
    message = stored(alice, raw)
    response = alice_client.get(reverse("webmail:message_part", args=[message.pk, 1]))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/octet-stream"


def test_a_part_number_past_the_last_part_is_404(alice_client, alice):
    message = stored(alice, with_attachments(("a.pdf", "application/pdf", b"%PDF-1 a")))
    url = reverse("webmail:message_part", args=[message.pk, 10**9])
    assert alice_client.get(url).status_code == 404
