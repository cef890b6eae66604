from django.contrib import admin
from django.urls import include, path

from webmail.views import health, mailbox

webmail_patterns = [
    path("", mailbox.home, name="home"),
    path("health/", health.health, name="health"),
]

urlpatterns = [
    path("", include((webmail_patterns, "webmail"))),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
