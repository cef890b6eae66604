"""Unsubscribing from a message's page: one-click through netguard to a real HTTPS
server on loopback, a request by mail through the outbox, or the list's page."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.messages import newsletter
from tests.test_reading_views import stored
from webmail.models import Folder
from webmail.outbox.models import OutboxMessage
from webmail.services import unsubscribe as service

pytestmark = pytest.mark.django_db
ONE_CLICK_FORM = b"List-Unsubscribe=One-Click"


def one_click_message(user, server, path: str = "/leave"):
    url = server.url(path, host="localhost")
    raw = newsletter(f"<mailto:leave@lists.example.org?subject=stop>, <{url}>")
    return stored(user, raw, subject="Issue 42")


def unsubscribe_url(message) -> str:
    return reverse("webmail:unsubscribe", args=[message.pk])


def post(client, message, method: str, **extra):
    return client.post(unsubscribe_url(message), {"method": method, **extra}, follow=True)


# --- The button and the confirmation ----------------------------------------------------


def test_the_message_page_offers_unsubscribe_next_to_the_sender(alice_client, alice, media):
    message = stored(alice, newsletter("<https://lists.example.org/leave>"))
    page = alice_client.get(reverse("webmail:message", args=[message.pk])).content.decode()
    sender_line = page[page.index("<dt>From</dt>") : page.index("<dt>Date</dt>")]
    assert f'href="{unsubscribe_url(message)}"' in sender_line


def test_a_message_without_the_header_offers_nothing(alice_client, alice, media):
    message = stored(alice, b"From: a@example.org\r\nSubject: Hi\r\n\r\nHello")
    page = alice_client.get(reverse("webmail:message", args=[message.pk])).content.decode()
    assert unsubscribe_url(message) not in page
    assert alice_client.get(unsubscribe_url(message)).status_code == 404


@pytest.mark.parametrize(
    "header",
    [
        "<javascript:alert(document.cookie)>",
        "<data:text/html,<script>alert(1)</script>>",
        "<file:///etc/passwd>, <ftp://lists.example.org/x>",
        ", ".join(["<javascript:x>"] * 10_000) + ", <https://lists.example.org/late>",
        "<https://lists.example.org/\u00e9>",
        "=?utf-8?q?=3Chttps=3A=2F=2Flists.example.org=3E?=",
    ],
)
def test_a_hostile_header_shows_no_button(alice_client, alice, media, header):
    message = stored(alice, newsletter(header))
    page = alice_client.get(reverse("webmail:message", args=[message.pk])).content.decode()
    assert unsubscribe_url(message) not in page
    assert alice_client.get(unsubscribe_url(message)).status_code == 404


def test_a_hostile_header_keeps_only_its_safe_uri(alice_client, alice, media):
    header = "<javascript:alert(1)>,\r\n <https://lists.example.org/leave\r\n ?id=1>"
    message = stored(alice, newsletter(header, one_click=False))
    page = alice_client.get(unsubscribe_url(message)).content.decode()
    assert 'href="https://lists.example.org/leave?id=1"' in page
    assert 'target="_blank" rel="noopener noreferrer"' in page
    assert "javascript:" not in page


def test_junk_offers_no_unsubscribe_but_the_trash_does(alice_client, alice, media):
    message = stored(alice, newsletter("<https://lists.example.org/leave>"))
    for special_use, offered in (("junk", False), ("trash", True)):
        folder = Folder.objects.create(
            account=message.account, name=special_use.title(), special_use=special_use
        )
        message.folder = folder
        message.save()
        page = alice_client.get(reverse("webmail:message", args=[message.pk])).content.decode()
        assert (unsubscribe_url(message) in page) is offered


def test_the_confirmation_names_the_list_and_what_will_happen(alice_client, alice, media):
    message = stored(alice, newsletter("<https://lists.example.org/leave>"))
    page = alice_client.get(unsubscribe_url(message)).content.decode()
    assert "Unsubscribe from Weekly News?" in page
    assert "Courriel will tell lists.example.org" in page
    assert 'name="method" value="one_click"' in page


def test_without_list_id_the_sender_names_the_list(alice_client, alice, media):
    raw = newsletter("<https://lists.example.org/leave>").replace(b"List-Id", b"X-Not-List-Id")
    page = alice_client.get(unsubscribe_url(stored(alice, raw))).content.decode()
    assert "Unsubscribe from Weekly News?" in page


def test_a_stranger_gets_404_and_nothing_is_sent(client, alice, bob, media, list_server):
    message = one_click_message(alice, list_server)
    client.force_login(bob)
    assert client.get(unsubscribe_url(message)).status_code == 404
    assert client.post(unsubscribe_url(message), {"method": "one_click"}).status_code == 404
    assert client.post(unsubscribe_url(message), {"method": "mail"}).status_code == 404
    assert list_server.requests == []
    assert not OutboxMessage.objects.exists()


def test_signing_in_is_required(client, alice, media):
    message = stored(alice, newsletter("<https://lists.example.org/leave>"))
    assert client.get(unsubscribe_url(message)).status_code == 302


def test_the_post_needs_the_csrf_token(alice, media, list_server):
    message = one_click_message(alice, list_server)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(unsubscribe_url(message), {"method": "one_click"}).status_code == 403
    assert list_server.requests == []


# --- One-click -----------------------------------------------------------------------------


def test_one_click_posts_the_form_and_says_it_is_done(alice_client, alice, media, list_server):
    message = one_click_message(alice, list_server)
    response = post(alice_client, message, "one_click")
    [request] = list_server.requests
    assert (request.method, request.path) == ("POST", "/leave")
    assert request.body == ONE_CLICK_FORM
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Cookie" not in request.headers
    assert response.redirect_chain[-1][0] == reverse("webmail:message", args=[message.pk])
    assert "You are unsubscribed from Weekly News." in response.content.decode()


def test_the_uri_comes_from_the_stored_message_not_the_browser(
    alice_client, alice, media, list_server
):
    message = one_click_message(alice, list_server)
    post(alice_client, message, "one_click", url=list_server.url("/other", host="localhost"))
    assert [request.path for request in list_server.requests] == ["/leave"]


def test_a_server_error_is_said_and_the_other_ways_offered(alice_client, alice, media, list_server):
    list_server.serve("/leave", b"oops", status=500)
    message = one_click_message(alice, list_server)
    page = post(alice_client, message, "one_click").content.decode()
    assert "localhost did not accept the request (it answered 500)." in page
    assert "You can still unsubscribe another way" in page
    assert 'name="method" value="mail"' in page
    assert 'name="method" value="one_click"' not in page
    assert f'href="{list_server.url("/leave", host="localhost")}" target="_blank"' in page


def test_a_redirect_is_not_followed_and_counts_as_a_refusal(
    alice_client, alice, media, list_server
):
    list_server.redirect("/leave", list_server.url("/moved", host="localhost"), status=302)
    list_server.serve("/moved", b"")
    message = one_click_message(alice, list_server)
    page = post(alice_client, message, "one_click").content.decode()
    assert "(it answered 302)" in page
    assert [request.path for request in list_server.requests] == ["/leave"]


def test_a_server_that_never_answers_is_given_up(
    alice_client, alice, media, list_server, monkeypatch
):
    monkeypatch.setattr(service, "ONE_CLICK_TIMEOUT", 0.5)
    list_server.serve("/leave", b"", drip="headers")
    message = one_click_message(alice, list_server)
    page = post(alice_client, message, "one_click").content.decode()
    assert "localhost did not answer in time." in page


def test_a_private_address_is_refused_without_any_connection(
    alice_client, alice, media, list_server, settings
):
    settings.UNSUBSCRIBE_ALLOW_PRIVATE = False
    message = one_click_message(alice, list_server)
    page = post(alice_client, message, "one_click").content.decode()
    assert "localhost is on a private network: Courriel does not connect to it." in page
    assert list_server.requests == []


def test_one_click_is_not_done_for_a_list_that_does_not_offer_it(
    alice_client, alice, media, list_server
):
    url = list_server.url("/leave", host="localhost")
    message = stored(alice, newsletter(f"<{url}>", one_click=False))
    page = post(alice_client, message, "one_click").content.decode()
    assert "This list does not offer that way to unsubscribe." in page
    assert list_server.requests == []


# --- By mail -------------------------------------------------------------------------------


def test_a_mailto_request_is_queued_from_the_receiving_account(alice_client, alice, media):
    uri = "mailto:leave@lists.example.org?subject=Unsubscribe%20me&body=list%3Dweekly&cc=x@e.org"
    message = stored(alice, newsletter(f"<{uri}>", one_click=False))
    page = alice_client.get(unsubscribe_url(message)).content.decode()
    assert "to leave@lists.example.org with the subject “Unsubscribe me”" in page

    response = post(alice_client, message, "mail")

    [queued] = OutboxMessage.objects.all()
    assert queued.account == message.account
    assert queued.envelope_from == message.account.email
    assert [item["address"] for item in queued.recipients] == ["leave@lists.example.org"]
    assert queued.subject == "Unsubscribe me"
    assert b"list=weekly" in bytes(queued.raw) and b"x@e.org" not in bytes(queued.raw)
    assert "is being sent to leave@lists.example.org" in response.content.decode()


def test_an_unknown_method_does_nothing(alice_client, alice, media, list_server):
    message = one_click_message(alice, list_server)
    page = post(alice_client, message, "javascript").content.decode()
    assert "This list does not offer that way to unsubscribe." in page
    assert list_server.requests == [] and not OutboxMessage.objects.exists()


def test_the_confirmation_speaks_french(alice_client, alice, media):
    message = stored(alice, newsletter("<https://lists.example.org/leave>"))
    page = alice_client.get(unsubscribe_url(message), headers={"accept-language": "fr"})
    assert "Se désabonner de Weekly News ?" in page.content.decode()
