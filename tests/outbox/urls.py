"""The project's URLs plus the outbox's, until webmail/urls.py includes them."""

from django.urls import include, path

from webmail.urls import urlpatterns as project_patterns

already_included = any(getattr(entry, "namespace", None) == "outbox" for entry in project_patterns)
urlpatterns = list(project_patterns)
if not already_included:
    urlpatterns.append(path("outbox/", include("webmail.outbox.urls")))
