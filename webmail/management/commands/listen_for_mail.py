from django.core.management.base import BaseCommand

from webmail import tasks
from webmail.engine.listener import Listener


def queue_folder_sync(folder) -> None:
    tasks.sync_folder.delay(folder.pk)


class Command(BaseCommand):
    help = (
        "Keep an IDLE connection open on every watched folder and queue a sync as soon "
        "as the server reports a change. Run several with --shard/--shards to split accounts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--shard", type=int, default=0, help="this listener's number, from 0")
        parser.add_argument("--shards", type=int, default=1, help="how many listeners run")
        parser.add_argument("--refresh", type=float, default=60, help="seconds between rescans")

    def handle(self, *args, shard, shards, refresh, **options):
        if not 0 <= shard < shards:
            self.stderr.write("--shard must be between 0 and --shards - 1")
            raise SystemExit(2)
        self.stdout.write(f"Listening for mail (shard {shard} of {shards}).")
        Listener(queue_folder_sync, shard=shard, shards=shards).run_forever(refresh)
