from django.contrib import admin

from webmail.contacts.models import Contact


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "user", "created_at"]
    search_fields = ["email", "name", "user__email"]
    list_select_related = ["user"]
