"""`netdesk triage train`: train the classifier on the desk's resolved
tickets now and print its cross-validated figures beside the majority
baseline (the worker does the same every `retrain_hours`)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from netdesk.triage.learning import triage_train


class Command(BaseCommand):
    help = "Text triage: train on the resolved tickets now and print the figures."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, title="actions")
        training = actions.add_parser("train", help="train now and print the figures")
        training.add_argument("--json", action="store_true", help="the figures as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        training = triage_train(now=timezone.now())
        self.stdout.write(training.note)
        if training.model is None:
            return
        figures = training.model.figures
        if options["json"]:
            self.stdout.write(json.dumps(figures, indent=2, sort_keys=True))
            return
        self.stdout.write(
            f"{'target':<16}{'tickets':>9}{'accuracy':>10}{'macro-F1':>10}"
            f"{'majority acc':>14}{'majority F1':>13}"
        )
        for target, row in figures.get("targets", {}).items():
            if "accuracy" in row:
                self.stdout.write(
                    f"{target:<16}{row.get('scored', 0):>9}{row['accuracy']:>10.3f}"
                    f"{row.get('macro_f1', 0):>10.3f}{row.get('baseline_accuracy', 0):>14.3f}"
                    f"{row.get('baseline_macro_f1', 0):>13.3f}"
                )
