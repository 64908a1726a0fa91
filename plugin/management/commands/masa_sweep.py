"""Run the scheduler without Celery beat: read stored webhooks, evaluate stranded events, reach
the next customers of broadcasts in progress, send due actions and check pack subscriptions (each
once a day)."""
import time

from django.core.management.base import BaseCommand

from ...actions.due import sweep
from ...tasks import fan_out_broadcasts, read_inbound, sweep_outbox
from ...worker import SWEEPER, beat, check_subscriptions


class Command(BaseCommand):
    help = "Read stored webhooks, send due actions (and evaluate stranded events) once, or every N seconds with --loop."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=float, metavar="SECONDS", help="repeat every SECONDS until stopped")

    def handle(self, *args, loop=None, **options):
        while True:
            read = read_inbound()
            evaluated = sweep_outbox()
            reached = fan_out_broadcasts()  # broadcasts go out without Celery beat too
            counts = sweep()
            checked = check_subscriptions()
            beat(SWEEPER)  # the Journeys panel and `manage.py check` read it: a worker is running
            if read or evaluated or reached or counts or checked or not loop:
                self.stdout.write(f"read {read} stored webhooks; evaluated {evaluated} stranded events; "
                                  f"broadcasts reached {reached} customers; actions: {counts or 'none due'}"
                                  + (f"; pack subscriptions checked: {checked}" if checked else ""))
            if not loop:
                return
            time.sleep(loop)
