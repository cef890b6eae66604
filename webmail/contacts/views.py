"""The address book: list and search, add, edit, remove, vCard in and out."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from webmail.contacts import services
from webmail.contacts.forms import ContactForm, ImportForm
from webmail.contacts.models import Contact
from webmail.contacts.vcard import read_cards, write_cards
from webmail.models import Message

PAGE_SIZE = 100


@login_required
def contact_list(request):
    form = ContactForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.instance.user = request.user
        form.save()
        messages.success(request, _("Contact added."))
        return redirect("contacts:list")
    query = request.GET.get("q", "").strip()[:200]
    contacts = Contact.objects.filter(user=request.user)
    if query:
        contacts = contacts.filter(Q(name__icontains=query) | Q(email__icontains=query))
    page = Paginator(contacts, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "query": query, "form": form, "import_form": ImportForm()}
    return render(request, "contacts/list.html", context)


@login_required
def contact_edit(request, pk: int):
    contact = get_object_or_404(Contact, pk=pk, user=request.user)
    form = ContactForm(request.POST or None, instance=contact, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Contact saved."))
        return redirect("contacts:list")
    return render(request, "contacts/edit.html", {"contact": contact, "form": form})


@login_required
@require_POST
def contact_delete(request, pk: int):
    get_object_or_404(Contact, pk=pk, user=request.user).delete()
    messages.success(request, _("Contact removed."))
    return redirect("contacts:list")


@login_required
def contact_export(request):
    response = StreamingHttpResponse(
        (text.encode() for text in write_cards(services.contact_cards(request.user))),
        content_type="text/vcard; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="contacts.vcf"'
    return response


@login_required
@require_POST
def contact_import(request):
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        for error in form.errors.get("file", []):
            messages.error(request, error)
        return redirect("contacts:list")
    text = form.cleaned_data["file"].read().decode("utf-8", "replace")
    added, existing = services.import_cards(request.user, read_cards(text))
    if not added and not existing:
        messages.error(request, _("No contact with an e-mail address was found in this file."))
    else:
        messages.success(
            request,
            ngettext("%(added)d contact added", "%(added)d contacts added", added)
            % {"added": added}
            + ngettext(
                " (%(existing)d address was already there).",
                " (%(existing)d addresses were already there).",
                existing,
            )
            % {"existing": existing},
        )
    return redirect("contacts:list")


@login_required
@require_POST
def add_sender(request, message_pk: int):
    message = get_object_or_404(Message, pk=message_pk, account__user=request.user)
    if services.add_sender(request.user, message.from_name, message.from_email):
        messages.success(
            request, _("%(address)s is in your contacts.") % {"address": message.from_email}
        )
    else:
        messages.info(
            request,
            _("%(address)s was already in your contacts.") % {"address": message.from_email},
        )
    return redirect("webmail:message", message.pk)
