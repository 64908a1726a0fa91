"""Evaluate events and perform due actions in this process, with no broker (see masa.worker)."""
from django.core.management.base import BaseCommand

from ... import worker


class Command(BaseCommand):
    help = "Evaluate stored events and send due actions, on the site's database, with no broker."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one round (everything waiting now), then exit")
        parser.add_argument("--poll", type=float, default=0.5, help="seconds to wait when nothing is to do")

    def handle(self, *args, once=False, poll=0.5, **options):
        if once:
            self.stdout.write(str(worker.run_once()))
            return
        self.stdout.write(f"masa_worker: evaluating and sending every {poll:g} s when idle (Ctrl-C stops)")
        worker.run(poll=poll, report=lambda done: self.stdout.write(str(done)))
