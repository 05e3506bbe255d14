"""Run the metric alerts and scheduled reports that are due (for a cron job when no worker runs;
`cxloop manage metrics_tick`). See cxloop/metrics/tasks.py."""

from django.core.management.base import BaseCommand

from cxloop.metrics.tasks import run_due


class Command(BaseCommand):
    help = "Check the metric alerts and send the scheduled reports that are due."

    def handle(self, *args, **options):
        result = run_due()
        self.stdout.write(str(result))
        for failure in result.failed:
            self.stderr.write(failure)
