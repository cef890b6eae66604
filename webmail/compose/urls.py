from django.urls import path

from webmail.compose import identity_views, views

app_name = "compose"

urlpatterns = [
    path("", views.compose_new, name="new"),
    path("drafts/", views.drafts, name="drafts"),
    path("addresses/", views.address_suggestions, name="addresses"),
    path("<int:pk>/", views.compose_edit, name="edit"),
    path("<int:pk>/autosave/", views.compose_autosave, name="autosave"),
    path("<int:pk>/sent/", views.compose_sent, name="sent"),
    path("<int:pk>/undo/", views.compose_undo, name="undo"),
    path("<int:pk>/discard/", views.compose_discard, name="discard"),
    path("message/<int:pk>/<slug:how>/", views.compose_from_message, name="from_message"),
    path("outbox/<int:outbox_pk>/edit/", views.edit_outbox_message, name="edit_outbox"),
    path("identities/", identity_views.identity_list, name="identities"),
    path("identities/<int:pk>/", identity_views.identity_edit, name="identity_edit"),
    path("identities/<int:pk>/remove/", identity_views.identity_delete, name="identity_delete"),
]
