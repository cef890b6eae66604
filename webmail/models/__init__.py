from webmail.models.accounts import AccountStatus, MailAccount
from webmail.models.folders import Folder, SpecialUse
from webmail.models.messages import Message
from webmail.models.preferences import Preferences, TrustedSender, preferences_for

__all__ = [
    "AccountStatus",
    "Folder",
    "MailAccount",
    "Message",
    "Preferences",
    "SpecialUse",
    "TrustedSender",
    "preferences_for",
]
