"""Run the scheduler without Celery beat: read stored webhooks, evaluate stranded events and send
due actions."""
import time

from django.core.management.base import BaseCommand

from ...actions.due import sweep
from ...tasks import read_inbound, sweep_outbox


class Command(BaseCommand):
    help = "Read stored webhooks, send due actions (and evaluate stranded events) once, or every N seconds with --loop."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=float, metavar="SECONDS", help="repeat every SECONDS until stopped")

    def handle(self, *args, loop=None, **options):
        while True:
            read = read_inbound()
            evaluated = sweep_outbox()
            counts = sweep()
            if read or evaluated or counts or not loop:
                self.stdout.write(f"read {read} stored webhooks; evaluated {evaluated} stranded events; "
                                  f"actions: {counts or 'none due'}")
            if not loop:
                return
            time.sleep(loop)
