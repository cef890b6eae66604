from webmail.models.accounts import AccountStatus, MailAccount
from webmail.models.folders import Folder, SpecialUse
from webmail.models.messages import Message, ThreadLink
from webmail.models.preferences import Preferences, TrustedSender, preferences_for

__all__ = [
    "AccountStatus",
    "Folder",
    "MailAccount",
    "Message",
    "Preferences",
    "SpecialUse",
    "ThreadLink",
    "TrustedSender",
    "preferences_for",
]
