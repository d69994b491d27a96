"""``python -m extracted_services.catalog [--host H] [--port N]``: migrate, then serve.

The service under gunicorn's threaded workers; ``--port 0`` lets the kernel pick the port,
and gunicorn's "Listening at: http://HOST:PORT" line says which.
"""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m extracted_services.catalog")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-migrate", action="store_true", help="skip manage.py migrate")
    args = parser.parse_args(argv)
    # This entry serves the catalog, whatever settings the caller's environment names.
    os.environ["DJANGO_SETTINGS_MODULE"] = "extracted_services.catalog.settings"
    if not args.no_migrate:
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", "--noinput", verbosity=0)
    gunicorn = (sys.executable, "-m", "gunicorn", "extracted_services.catalog.wsgi")
    os.execv(
        sys.executable,
        [
            *gunicorn,
            *("--bind", f"{args.host}:{args.port}", "--worker-class", "gthread"),
            *("--workers", str(args.workers), "--threads", "4"),
            *("--graceful-timeout", "5", "--no-control-socket"),
            # JSON logs, the metrics' multiprocess clean-up (extracted_services.chassis)
            *("--config", "python:extracted_services.catalog.gunicorn_conf"),
        ],
    )


if __name__ == "__main__":
    main()
