from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Pop3Config(AppConfig):
    name = "webmail.pop3"
    label = "pop3"
    verbose_name = _("POP3")
