"""Print: the message laid out for paper, as safe as its body."""

from email.message import EmailMessage

import pytest
from django.urls import reverse

from tests.test_conversation_views import add, mailbox
from tests.test_reading_views import HOSTILE, stored

pytestmark = pytest.mark.django_db


def minutes_message() -> bytes:
    message = EmailMessage()
    message["From"] = "Ann Example <ann@example.org>"
    message["To"] = "Alice <alice@courriel.test>"
    message["Cc"] = "Bob <bob@example.org>"
    message["Subject"] = "Minutes of the meeting"
    message["Date"] = "Fri, 27 Nov 2026 09:30:00 +0000"
    message.set_content("Plain minutes.")
    message.add_alternative(
        "<h2>Minutes</h2><p>We agreed on <b>everything</b>.</p>", subtype="html"
    )
    message.add_attachment(
        b"%PDF-1.4", maintype="application", subtype="pdf", filename="agenda.pdf"
    )
    return bytes(message)


def test_the_print_document_carries_the_headers_the_body_and_the_attachment_names(
    alice_client, alice, media
):
    message = stored(alice, minutes_message())
    page = alice_client.get(reverse("webmail:message_print", args=[message.pk])).content.decode()
    assert "<title>Minutes of the meeting</title>" in page
    assert "Ann Example &lt;ann@example.org&gt;" in page
    assert "Alice &lt;alice@courriel.test&gt;" in page and "Bob &lt;bob@example.org&gt;" in page
    assert "We agreed on <b>everything</b>." in page
    assert "agenda.pdf" in page


def test_the_message_page_offers_print(alice_client, alice, media):
    message = stored(alice, minutes_message())
    page = alice_client.get(reverse("webmail:message", args=[message.pk])).content.decode()
    assert reverse("webmail:message_print", args=[message.pk]) in page


def test_it_is_sanitized_and_may_be_printed_but_never_run_a_script(alice_client, alice, media):
    message = stored(alice, HOSTILE)
    response = alice_client.get(reverse("webmail:message_print", args=[message.pk]))
    page = response.content.decode()
    assert "<script" not in page and "tracker.example" not in page
    csp = response.headers["Content-Security-Policy"]
    sandbox = next(part for part in csp.split(";") if part.strip().startswith("sandbox"))
    assert "allow-modals" in sandbox and "allow-same-origin" in sandbox
    assert "allow-scripts" not in sandbox
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_in_french(alice_client, alice, media):
    message = stored(alice, minutes_message())
    url = reverse("webmail:message", args=[message.pk])
    assert "Imprimer" in alice_client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    print_url = reverse("webmail:message_print", args=[message.pk])
    assert (
        "Pièces jointes" in alice_client.get(print_url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    )


def test_print_all_lays_out_every_message_of_the_conversation_oldest_first(
    alice_client, alice, bob, media
):
    folders = mailbox(alice)
    first = add(folders["inbox"], 1, body="First words.\r\n")
    add(folders["sent"], 2, parent=1, hours=1, body="A reply.\r\n")
    page = alice_client.get(reverse("webmail:conversation", args=[first.thread_id])).content
    url = reverse("webmail:conversation_print", args=[first.thread_id])
    assert url.encode() in page and b"Print all" in page

    response = alice_client.get(url)

    printed = response.content.decode()
    assert printed.index("First words.") < printed.index("A reply.")
    assert printed.count('<article class="print-message">') == 2
    assert "allow-scripts" not in response.headers["Content-Security-Policy"]
    alice_client.force_login(bob)
    assert alice_client.get(url).status_code == 404
