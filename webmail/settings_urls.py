"""/settings/…: a person's own settings (included in the webmail namespace)."""

from django.urls import path

from webmail.views import filters, settings_page, settings_security, vacation

urlpatterns = [
    path("", settings_page.profile, name="settings"),
    path("accounts/", settings_page.accounts, name="settings_accounts"),
    path("accounts/<int:pk>/interval/", settings_page.sync_interval, name="settings_sync_interval"),
    path("privacy/", settings_page.privacy, name="settings_privacy"),
    path(
        "privacy/trusted/<int:pk>/remove/",
        settings_page.remove_trusted_sender,
        name="remove_trusted_sender",
    ),
    path("security/", settings_security.security, name="settings_security"),
    path(
        "security/sessions/<int:pk>/sign-out/",
        settings_security.sign_out_session,
        name="sign_out_session",
    ),
    path(
        "security/sessions/sign-out-others/",
        settings_security.sign_out_other_sessions,
        name="sign_out_other_sessions",
    ),
    path("storage/", settings_page.storage, name="settings_storage"),
    path("filters/", filters.filter_list, name="settings_filters"),
    path("filters/new/", filters.filter_add, name="settings_filter_add"),
    path("filters/<int:pk>/", filters.filter_edit, name="settings_filter_edit"),
    path("filters/<int:pk>/delete/", filters.filter_delete, name="settings_filter_delete"),
    path("filters/<int:pk>/toggle/", filters.filter_toggle, name="settings_filter_toggle"),
    path("filters/<int:pk>/move/", filters.filter_shift, name="settings_filter_move"),
    path("filters/<int:pk>/run/", filters.filter_run, name="settings_filter_run"),
    path("vacation/", vacation.vacation_list, name="settings_vacation"),
    path("vacation/<int:pk>/", vacation.vacation_edit, name="settings_vacation_edit"),
]
