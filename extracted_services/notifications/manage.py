#!/usr/bin/env python
"""The notifications service's manage.py (migrate, backfill_notifications, ...)."""

import os
import sys


def main() -> None:
    # always the service's own settings: a shell (or test run) set up for the monolith has
    # DJANGO_SETTINGS_MODULE pointing at the monolith's, whose commands these are not
    os.environ["DJANGO_SETTINGS_MODULE"] = "extracted_services.notifications.settings"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
