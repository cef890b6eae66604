from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SiteSettingsConfig(AppConfig):
    name = "webmail.sitesettings"
    label = "sitesettings"
    verbose_name = _("Site settings")

    def ready(self):
        from webmail.sitesettings import checks, signals  # noqa: F401  (registers them)
