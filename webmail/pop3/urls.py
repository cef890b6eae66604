from django.urls import path

from webmail.pop3 import views

app_name = "pop3"

urlpatterns = [
    path("<int:account_pk>/", views.options, name="options"),
    path("<int:account_pk>/fetch/", views.fetch_now, name="fetch_now"),
]
