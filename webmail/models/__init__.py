from webmail.models.accounts import AccountStatus, MailAccount
from webmail.models.folders import Folder, SpecialUse
from webmail.models.messages import Message
from webmail.models.preferences import TrustedSender

__all__ = ["AccountStatus", "Folder", "MailAccount", "Message", "SpecialUse", "TrustedSender"]
