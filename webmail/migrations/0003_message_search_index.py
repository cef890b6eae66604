"""A GIN index on the search document, on PostgreSQL only (SQLite, the embedded
default, searches with substring matches instead: services/search.py)."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

INDEX_NAME = "message_search_document"
CONFIG = "simple"


def search_index():
    # Frozen copy of webmail.services.search.DOCUMENT: queries use the index only
    # while both expressions stay identical (tests/test_search.py checks the plan).
    document = (
        SearchVector("subject", weight="A", config=CONFIG)
        + SearchVector("from_name", "from_email", weight="B", config=CONFIG)
        + SearchVector("body_text", weight="C", config=CONFIG)
    )
    return GinIndex(document, name=INDEX_NAME)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("webmail", "Message"), search_index())


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("webmail", "Message"), search_index())


class Migration(migrations.Migration):
    dependencies = [("webmail", "0002_trusted_senders")]

    operations = [migrations.RunPython(create_index, drop_index)]
