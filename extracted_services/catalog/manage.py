#!/usr/bin/env python
"""The catalog service's manage.py (migrate, backfill_catalog, ...)."""

import os
import sys


def main() -> None:
    # always the service's own settings: a shell (or test run) set up for the monolith has
    # DJANGO_SETTINGS_MODULE pointing at the monolith's, whose commands these are not
    os.environ["DJANGO_SETTINGS_MODULE"] = "extracted_services.catalog.settings"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
