"""Who a message is from: an account's own address, or one of its identities."""

from dataclasses import dataclass

from webmail.compose.models import Identity
from webmail.mail.compose import Mailbox
from webmail.models import MailAccount


@dataclass(frozen=True)
class Sender:
    key: str  # the form's value: "account-3" or "identity-7"
    account: MailAccount
    identity: Identity | None
    mailbox: Mailbox
    reply_to: str
    signature: str
    signature_html: str = ""

    @property
    def label(self) -> str:
        name, address = self.mailbox.name, self.mailbox.address
        return f"{name} <{address}>" if name else address


def account_sender(account: MailAccount) -> Sender:
    return Sender(
        f"account-{account.pk}", account, None, Mailbox(account.email, account.display_name), "", ""
    )


def identity_sender(identity: Identity) -> Sender:
    return Sender(
        f"identity-{identity.pk}",
        identity.account,
        identity,
        Mailbox(identity.email, identity.display_name or identity.account.display_name),
        identity.reply_to,
        identity.signature,
        identity.signature_html,
    )


def senders_for(user) -> list[Sender]:
    """Every From the person may use: each account, then its identities."""
    senders = []
    identities = Identity.objects.filter(account__user=user).select_related("account")
    by_account: dict[int, list[Identity]] = {}
    for identity in identities:
        by_account.setdefault(identity.account_id, []).append(identity)
    for account in MailAccount.objects.filter(user=user):
        own = by_account.get(account.pk, [])
        if all(i.email.casefold() != account.email.casefold() for i in own):
            senders.append(account_sender(account))
        senders.extend(identity_sender(identity) for identity in own)
    return senders


def sender_of(user, key: str) -> Sender | None:
    """The sender behind a form value, if it is this person's."""
    return next((sender for sender in senders_for(user) if sender.key == key), None)


def default_sender(account: MailAccount, addressed_to: list[str] = ()) -> Sender:
    """For a reply, the identity the original was addressed to; else the account's default."""
    identities = list(account.identities.all())
    wanted = {address.casefold() for address in addressed_to}
    for identity in identities:
        if identity.email.casefold() in wanted:
            return identity_sender(identity)
    if account.email.casefold() not in wanted:
        for identity in identities:
            if identity.is_default:
                return identity_sender(identity)
    same = [i for i in identities if i.email.casefold() == account.email.casefold()]
    return identity_sender(same[0]) if same else account_sender(account)


def draft_sender(draft) -> Sender:
    return identity_sender(draft.identity) if draft.identity else account_sender(draft.account)


def own_addresses(user) -> set[str]:
    addresses = {a.casefold() for a in MailAccount.objects.filter(user=user).values_list(
        "email", flat=True)}  # fmt: skip
    identities = Identity.objects.filter(account__user=user).values_list("email", flat=True)
    return addresses | {a.casefold() for a in identities}
