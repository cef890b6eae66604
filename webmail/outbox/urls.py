from django.urls import path

from webmail.outbox import views

app_name = "outbox"

urlpatterns = [
    path("", views.outbox_list, name="list"),
    path("<int:pk>/resend/", views.outbox_resend, name="resend"),
    path("<int:pk>/dismiss/", views.outbox_dismiss, name="dismiss"),
    path("<int:pk>/cancel/", views.outbox_cancel, name="cancel"),
    path("<int:pk>/reschedule/", views.outbox_reschedule, name="reschedule"),
]
