"""The message page: names with full addresses on demand, a move menu, attachment
previews and every attachment in one zip."""

import io
import zipfile
from email.message import EmailMessage

import pytest
from django.urls import reverse

from tests.test_reading_views import CORPUS, stored
from webmail.models import Folder
from webmail.templatetags.addresses import people

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


def with_attachments(*files: tuple[str, str, bytes]) -> bytes:
    message = EmailMessage()
    message["From"] = "Ann Example <ann@example.org>"
    message["To"] = "Alice <alice@courriel.test>, bob@example.org"
    message["Subject"] = "Photos"
    message.set_content("See attached.")
    for name, content_type, data in files:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(message)


def test_people_splits_a_header_into_names_and_addresses():
    assert people("Ann Example <ann@example.org>, bob@example.org") == [
        {"name": "Ann Example", "address": "ann@example.org"},
        {"name": "", "address": "bob@example.org"},
    ]
    assert people("") == []
    assert people("undisclosed-recipients:;") == [
        {"name": "undisclosed-recipients:;", "address": ""}
    ]


def test_names_show_and_full_addresses_wait_behind_a_toggle(alice_client, alice):
    message = stored(alice, with_attachments())
    page = alice_client.get(reverse("webmail:message", args=[message.pk])).content.decode()
    assert '<span class="person__name" title="ann@example.org">Ann Example</span>' in page
    assert '<span class="person__address">&lt;ann@example.org&gt;</span>' in page
    toggle = f"show-addresses-{message.pk}"
    assert f'id="{toggle}"' in page and f'for="{toggle}"' in page


def test_the_move_menu_offers_the_accounts_other_folders(alice_client, alice):
    message = stored(alice, with_attachments())
    Folder.objects.create(account=message.account, name="Receipts")
    page = alice_client.get(reverse("webmail:message", args=[message.pk])).content.decode()
    menu = page.split(f'id="move-destination-{message.pk}"', 1)[1].split("</select>", 1)[0]
    assert "Receipts" in menu
    assert f'value="{message.folder_id}"' not in menu  # not where it already is


def test_image_attachments_get_a_thumbnail(alice_client, alice):
    message = stored(alice, with_attachments(("dot.png", "image/png", PNG)))
    page = alice_client.get(reverse("webmail:message", args=[message.pk])).content.decode()
    thumbnail = reverse("webmail:message_part", args=[message.pk, 1]) + "?preview=1"
    assert f'src="{thumbnail}"' in page
    response = alice_client.get(thumbnail)
    assert response.headers["Content-Type"] == "image/png"
    assert response.content == PNG


def test_download_all_zips_every_attachment_with_safe_unique_names(alice_client, alice):
    raw = with_attachments(
        ("report.pdf", "application/pdf", b"%PDF-1 one"),
        ("report.pdf", "application/pdf", b"%PDF-1 two"),
        ("../../evil.sh", "application/octet-stream", b"#!/bin/sh"),
    )
    message = stored(alice, raw, subject="Photos")
    page = alice_client.get(reverse("webmail:message", args=[message.pk])).content.decode()
    url = reverse("webmail:message_attachments_zip", args=[message.pk])
    assert url in page
    response = alice_client.get(url)
    assert response.headers["Content-Type"] == "application/zip"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="Photos.zip"')
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == ["_.._evil.sh", "report (2).pdf", "report.pdf"]
    assert archive.read("report (2).pdf") == b"%PDF-1 two"


def test_a_stranger_cannot_download_the_zip(client, alice, bob):
    message = stored(alice, (CORPUS / "attachment-names.eml").read_bytes())
    client.force_login(bob)
    url = reverse("webmail:message_attachments_zip", args=[message.pk])
    assert client.get(url).status_code == 404
    client.force_login(alice)
    assert client.get(url).status_code == 200


def test_no_zip_for_a_message_without_attachments(alice_client, alice):
    message = stored(alice, with_attachments())
    url = reverse("webmail:message_attachments_zip", args=[message.pk])
    assert alice_client.get(url).status_code == 404


def test_a_pdf_preview_shows_inline_without_scripts_or_framing(alice_client, alice):
    message = stored(alice, with_attachments(("q3.pdf", "application/pdf", b"%PDF-1.4 tiny")))
    url = reverse("webmail:message_part", args=[message.pk, 1])
    preview = alice_client.get(url + "?preview=1")
    assert preview.headers["Content-Type"] == "application/pdf"
    assert preview.headers["Content-Disposition"].startswith("inline")
    policy = preview.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    download = alice_client.get(url)
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert "sandbox" in download.headers["Content-Security-Policy"]
