from webmail.models.accounts import AccountStatus, MailAccount
from webmail.models.filters import FilterExemption, MessageFilter
from webmail.models.folders import Folder, SpecialUse
from webmail.models.imports import MailImport
from webmail.models.messages import Message, ThreadLink
from webmail.models.preferences import Preferences, TrustedSender, preferences_for
from webmail.models.vacation import VacationRecipient, VacationReply

__all__ = [
    "AccountStatus",
    "FilterExemption",
    "Folder",
    "MailAccount",
    "MailImport",
    "Message",
    "MessageFilter",
    "Preferences",
    "SpecialUse",
    "ThreadLink",
    "TrustedSender",
    "VacationRecipient",
    "VacationReply",
    "preferences_for",
]
