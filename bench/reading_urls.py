"""Courriel's URLs plus the benchmark's floor: a view doing nothing, behind the same
middleware (sessions, authentication, CSRF, CSP, locale, htmx) and login check."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path

from webmail.urls import urlpatterns as courriel_patterns


@login_required
def trivial(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/trivial/", trivial, name="bench_trivial"), *courriel_patterns]
