import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from extracted_services.chassis.tracing import start_tracing

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "legacy_monolith.shop.settings")
# before Django loads its middleware: OpenTelemetry's own goes first (off unless configured)
start_tracing("legacy-monolith", settings.DATABASES["default"]["ENGINE"])
application = get_wsgi_application()
