"""Filling the address book: from a vCard file, or from a message's sender."""

from collections.abc import Iterable

from django.db import transaction

from webmail.contacts.models import Contact
from webmail.contacts.vcard import Card

NAME_LENGTH = Contact._meta.get_field("name").max_length
EMAIL_LENGTH = Contact._meta.get_field("email").max_length


@transaction.atomic
def import_cards(user, cards: Iterable[Card]) -> tuple[int, int]:
    """One contact per address; an address already there is left as it is.
    Returns (added, already there)."""
    known = {
        email.casefold()
        for email in Contact.objects.filter(user=user).values_list("email", flat=True)
    }
    new, existing = [], 0
    for card in cards:
        for email in card.emails:
            if len(email) > EMAIL_LENGTH:
                continue
            if email.casefold() in known:
                existing += 1
                continue
            known.add(email.casefold())
            new.append(
                Contact(user=user, name=card.name[:NAME_LENGTH], email=email, note=card.note)
            )
    Contact.objects.bulk_create(new)
    return len(new), existing


def add_sender(user, name: str, email: str) -> bool:
    """False when the address is already a contact."""
    if not email or Contact.objects.filter(user=user, email__iexact=email).exists():
        return False
    Contact.objects.create(user=user, name=name[:NAME_LENGTH], email=email[:EMAIL_LENGTH])
    return True


def contact_cards(user) -> Iterable[Card]:
    for contact in Contact.objects.filter(user=user).iterator():
        yield Card(contact.name, (contact.email,), contact.note)
