"""Evaluate events and perform due actions in this process, with no broker (see masa.worker)."""
from django.core.management.base import BaseCommand, CommandError

from ... import worker
from ...metrics import serve as serve_metrics


class Command(BaseCommand):
    help = "Evaluate stored events and send due actions, on the site's database, with no broker."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one round (everything waiting now), then exit")
        parser.add_argument("--poll", type=float, default=0.5, help="seconds to wait when nothing is to do")
        parser.add_argument("--metrics-port", type=int, help="serve this process's Prometheus counters on this port")
        parser.add_argument("--metrics-address", default="127.0.0.1",
                            help="the address --metrics-port listens on (default 127.0.0.1; 0.0.0.0: every interface)")

    def handle(self, *args, once=False, poll=0.5, **options):
        if options.get("metrics_port"):
            address, port = options["metrics_address"], options["metrics_port"]
            try:
                serve_metrics(port, address)
            except (RuntimeError, OSError) as error:  # no prometheus_client; the port is taken
                raise CommandError(f"--metrics-port: {error}") from None
            self.stdout.write(f"masa_worker: counters on http://{address}:{port}/")
        if once:
            self.stdout.write(str(worker.run_once()))
            return
        self.stdout.write(f"masa_worker: evaluating and sending every {poll:g} s when idle "
                          "(Ctrl-C or SIGTERM stops after the step in hand; twice stops at once)")
        try:
            worker.run(poll=poll, report=lambda done: self.stdout.write(str(done)))
        except worker.StoppedAtOnce as stopped:
            self.stderr.write("masa_worker: stopped at once; the open transaction was rolled back")
            raise SystemExit(128 + stopped.signum) from None
        self.stdout.write("masa_worker: stopped")
