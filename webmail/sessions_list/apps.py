from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SessionsListConfig(AppConfig):
    name = "webmail.sessions_list"
    label = "sessions_list"
    verbose_name = _("Signed-in devices")

    def ready(self):
        from webmail.sessions_list import signals  # noqa: F401  (connects the receivers)
