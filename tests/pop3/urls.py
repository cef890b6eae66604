"""The site's URLs with the POP3 pages, whether or not webmail/urls.py includes them yet."""

from django.urls import URLResolver, include, path

from webmail import urls as site

urlpatterns = list(site.urlpatterns)
if not any(isinstance(p, URLResolver) and p.namespace == "pop3" for p in urlpatterns):
    urlpatterns.append(path("pop3/", include("webmail.pop3.urls")))
