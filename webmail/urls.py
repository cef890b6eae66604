from django.contrib import admin
from django.urls import include, path

from webmail.views import accounts, health, mailbox

webmail_patterns = [
    path("", mailbox.home, name="home"),
    path("health/", health.health, name="health"),
    path("mail-accounts/", accounts.account_list, name="account_list"),
    path("mail-accounts/add/", accounts.account_add, name="account_add"),
    path("mail-accounts/add/settings/", accounts.account_add_settings, name="account_add_settings"),
    path("mail-accounts/add/cancel/", accounts.account_add_cancel, name="account_add_cancel"),
    path("mail-accounts/<int:pk>/", accounts.account_edit, name="account_edit"),
    path("mail-accounts/<int:pk>/remove/", accounts.account_delete, name="account_delete"),
]

urlpatterns = [
    path("", include((webmail_patterns, "webmail"))),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
