from django.contrib import admin
from django.urls import include, path

from webmail.views import (
    accounts,
    conversation,
    events,
    folder_admin,
    folders,
    health,
    image_proxy,
    list_actions,
    message,
)

webmail_patterns = [
    path("", folders.home, name="home"),
    path("health/", health.health, name="health"),
    path("folder/<int:pk>/", folders.folder_view, name="folder"),
    path("all/<slug:kind>/", folders.unified_view, name="unified"),
    path("messages/act/", folders.act, name="act"),
    path("messages/mark-all-read/", list_actions.mark_list_read, name="mark_all_read"),
    path("folder/<int:pk>/empty/", list_actions.empty_bin, name="empty_folder"),
    path("search/", folders.search, name="search"),
    path("list-mode/", folders.set_list_mode, name="list_mode"),
    path("conversation/<int:thread_id>/", conversation.conversation_view, name="conversation"),
    path("events/", events.events, name="events"),
    path("message/<int:pk>/", message.message_view, name="message"),
    path("message/<int:pk>/body/", message.message_body, name="message_body"),
    path("message/<int:pk>/part/<int:index>/", message.message_part, name="message_part"),
    path(
        "message/<int:pk>/attachments.zip/",
        message.message_attachments_zip,
        name="message_attachments_zip",
    ),
    path("inline/<str:token>/", message.message_cid, name="message_cid"),
    path("message/<int:pk>/raw/", message.message_raw, name="message_raw"),
    path("message/<int:pk>/source/", message.message_source, name="message_source"),
    path("message/<int:pk>/trust-sender/", message.trust_sender, name="trust_sender"),
    path("message/<int:pk>/flag/", message.toggle_flag, name="toggle_flag"),
    path("image-proxy/", image_proxy.image_proxy, name="image_proxy"),
    path("mail-accounts/", accounts.account_list, name="account_list"),
    path("mail-accounts/add/", accounts.account_add, name="account_add"),
    path("mail-accounts/add/settings/", accounts.account_add_settings, name="account_add_settings"),
    path("mail-accounts/add/cancel/", accounts.account_add_cancel, name="account_add_cancel"),
    path("mail-accounts/<int:pk>/", accounts.account_edit, name="account_edit"),
    path("mail-accounts/<int:pk>/remove/", accounts.account_delete, name="account_delete"),
    path("mail-accounts/<int:pk>/folders/", folder_admin.manage_folders, name="manage_folders"),
    path("folder/<int:pk>/rename/", folder_admin.rename_folder, name="rename_folder"),
    path("folder/<int:pk>/delete/", folder_admin.delete_folder, name="delete_folder"),
    path("folder/<int:pk>/watch/", folder_admin.watch_folder, name="watch_folder"),
    path("settings/", include("webmail.settings_urls")),
]

urlpatterns = [
    path("", include((webmail_patterns, "webmail"))),
    path("outbox/", include("webmail.outbox.urls")),
    path("pop3/", include("webmail.pop3.urls")),
    path("compose/", include("webmail.compose.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("language/", include("webmail.language_urls")),
    path("admin/", admin.site.urls),
]
