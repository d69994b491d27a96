import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from extracted_services.chassis.tracing import start_tracing

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "extracted_services.catalog.settings")
# before Django loads its middleware: OpenTelemetry's own goes first (off unless configured)
start_tracing("catalog", settings.DATABASES["default"]["ENGINE"])
application = get_wsgi_application()
