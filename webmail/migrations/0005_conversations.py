"""Conversations (Message.thread_id, ThreadLink), and on PostgreSQL trigram indexes
for the search's ``from:`` (a substring match that otherwise reads every message:
bench/reading.py). Trigrams need the pg_trgm extension, which a database owner may
create (a trusted extension); without it, ``from:`` still works, unindexed."""

import logging

import django.db.models.deletion
from django.db import migrations, models, transaction

logger = logging.getLogger(__name__)
# Django's icontains is UPPER(column::text) LIKE UPPER(pattern): index that expression.
SENDER_COLUMNS = {"message_from_name_trigram": "from_name", "message_from_email_trigram": "from_email"}


def create_sender_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(), schema_editor.connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception as error:  # noqa: BLE001 (any refusal: go on without the indexes)
        logger.warning("pg_trgm unavailable (%s): from: searches stay unindexed", error)
        return
    for name, column in SENDER_COLUMNS.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON webmail_message"
            f" USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop_sender_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in SENDER_COLUMNS:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("webmail", "0004_preferences"),
    ]

    operations = [
        migrations.CreateModel(
            name="ThreadLink",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=600)),
                ("thread_id", models.BigIntegerField()),
            ],
        ),
        migrations.AddField(
            model_name="message",
            name="thread_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(
                fields=["thread_id", "-internal_date"], name="message_thread_recent"
            ),
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(
                condition=models.Q(("thread_id__isnull", True)),
                fields=["folder"],
                name="message_unthreaded",
            ),
        ),
        migrations.AddField(
            model_name="threadlink",
            name="account",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="webmail.mailaccount",
            ),
        ),
        migrations.AddIndex(
            model_name="threadlink",
            index=models.Index(fields=["account", "thread_id"], name="thread_link_thread"),
        ),
        migrations.AddConstraint(
            model_name="threadlink",
            constraint=models.UniqueConstraint(
                fields=("account", "key"), name="thread_link_unique_key"
            ),
        ),
        migrations.RunPython(create_sender_indexes, drop_sender_indexes),
    ]
