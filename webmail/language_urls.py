"""The language switcher's target, outside the webmail namespace: anyone may use it."""

from django.urls import path

from webmail.views.settings_page import set_language

urlpatterns = [path("", set_language, name="save_language")]
