from django.urls import path

from webmail.contacts import views

app_name = "contacts"
urlpatterns = [
    path("", views.contact_list, name="list"),
    path("<int:pk>/", views.contact_edit, name="edit"),
    path("<int:pk>/remove/", views.contact_delete, name="delete"),
    path("export.vcf", views.contact_export, name="export"),
    path("import/", views.contact_import, name="import"),
    path("from-message/<int:message_pk>/", views.add_sender, name="add_sender"),
]
