"""The address book's pages: owner only, vCard in and out, and first in suggestions."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.test_reading_views import stored
from webmail.contacts.models import Contact
from webmail.models import Message

pytestmark = pytest.mark.django_db


def add(client, **data):
    return client.post(reverse("contacts:list"), {"name": "", "note": "", **data}, follow=True)


def test_adding_editing_and_removing_a_contact(alice_client, alice):
    assert (
        "Contact added." in add(alice_client, name="Zoé", email="zoe@example.fr").content.decode()
    )
    contact = Contact.objects.get(user=alice)
    page = add(alice_client, email="ZOE@example.fr").content.decode()
    assert "This address is already in your contacts." in page
    edit = reverse("contacts:edit", args=[contact.pk])
    alice_client.post(edit, {"name": "Zoé Lefèvre", "email": "zoe@example.fr", "note": "Lyon"})
    assert Contact.objects.get(pk=contact.pk).name == "Zoé Lefèvre"
    listing = alice_client.get(reverse("contacts:list"), {"q": "lef"}).content.decode()
    assert (
        "Zoé Lefèvre" in listing
        and "?to=Zo%C3%A9%20Lef%C3%A8vre%20%3Czoe%40example.fr%3E" in listing
    )
    alice_client.post(reverse("contacts:delete", args=[contact.pk]))
    assert not Contact.objects.exists()


def test_nobody_sees_or_changes_another_persons_contacts(alice_client, alice, bob):
    contact = Contact.objects.create(user=alice, name="Secret", email="secret@example.org")
    stranger = Client()
    stranger.force_login(bob)
    assert "Secret" not in stranger.get(reverse("contacts:list")).content.decode()
    assert stranger.get(reverse("contacts:edit", args=[contact.pk])).status_code == 404
    assert stranger.post(reverse("contacts:delete", args=[contact.pk])).status_code == 404
    assert b"secret@example.org" not in b"".join(
        stranger.get(reverse("contacts:export")).streaming_content
    )
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_export_then_import_elsewhere_gives_the_same_address_book(alice_client, alice, bob):
    Contact.objects.create(
        user=alice, name="Ann; Example", email="ann@example.org", note="met, 2026"
    )
    Contact.objects.create(user=alice, email="bare@example.org")
    response = alice_client.get(reverse("contacts:export"))
    assert response["Content-Type"] == "text/vcard; charset=utf-8"
    exported = b"".join(response.streaming_content)
    other = Client()
    other.force_login(bob)
    upload = SimpleUploadedFile("contacts.vcf", exported, content_type="text/vcard")
    page = other.post(reverse("contacts:import"), {"file": upload}, follow=True).content.decode()
    assert "2 contacts added (0 addresses were already there)." in page
    mine = Contact.objects.filter(user=bob).values_list("name", "email", "note")
    assert sorted(mine) == [
        ("", "bare@example.org", ""),
        ("Ann; Example", "ann@example.org", "met, 2026"),
    ]
    upload = SimpleUploadedFile("contacts.vcf", exported, content_type="text/vcard")
    page = other.post(reverse("contacts:import"), {"file": upload}, follow=True).content.decode()
    assert "0 contacts added (2 addresses were already there)." in page


def test_a_file_without_contacts_says_so(alice_client):
    upload = SimpleUploadedFile("photo.vcf", b"\x89PNG not a vcard", content_type="text/vcard")
    page = alice_client.post(reverse("contacts:import"), {"file": upload}, follow=True)
    assert "No contact with an e-mail address was found in this file." in page.content.decode()


def test_adding_a_messages_sender(alice_client, alice, media):
    message = stored(alice, b"From: Mallory <mallory@evil.example>\r\nSubject: Hi\r\n\r\nHi.\r\n")
    page = alice_client.get(reverse("webmail:message", args=[message.pk])).content.decode()
    url = reverse("contacts:add_sender", args=[message.pk])
    assert url in page
    assert "is in your contacts." in alice_client.post(url, follow=True).content.decode()
    assert "was already in your contacts." in alice_client.post(url, follow=True).content.decode()
    assert Contact.objects.filter(user=alice, email="mallory@evil.example").count() == 1


def test_a_stranger_cannot_add_from_someone_elses_message(bob, alice, media):
    message = stored(alice, b"From: a@example.org\r\nSubject: Hi\r\n\r\nHi.\r\n")
    stranger = Client()
    stranger.force_login(bob)
    assert stranger.post(reverse("contacts:add_sender", args=[message.pk])).status_code == 404


def test_contacts_come_first_in_suggestions(alice_client, alice, media):
    raw = b"From: Annie Often <ann@example.org>\r\nSubject: x\r\n\r\n.\r\n"
    heard = stored(alice, raw, from_name="Annie Often")
    Message.objects.filter(pk=heard.pk).update(from_email="ann@example.org")
    Contact.objects.create(user=alice, name="Ann Kept", email="ann.kept@example.org")
    found = alice_client.get(reverse("compose:addresses"), {"q": "ann"}).json()["addresses"]
    assert [item["address"] for item in found][:2] == ["ann.kept@example.org", "ann@example.org"]


def test_in_french(alice_client):
    page = alice_client.get(reverse("contacts:list"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Aucun contact pour l\u2019instant." in page and "Tout exporter (.vcf)" in page
