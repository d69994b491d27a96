"""Settings of the notifications service.

Its state lives in ``NOTIFICATIONS_VAR_DIR`` (default ``var/notifications`` beside the
project): SQLite ``notifications.sqlite3`` there unless ``DATABASE_URL`` names another
database (PostgreSQL: ``postgres://user@127.0.0.1:5432/notifications``).

Callers are identified by the monolith's signed JWTs (``identity.BearerAuthentication``:
``JWKS_URL``, ``JWT_ISSUER``, ``JWT_AUDIENCE``, ``JWT_LEEWAY``); the event inbox by the
shared ``EVENTS_TOKEN`` (unset: every delivery is refused).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import dj_database_url

from extracted_services.chassis.logs import django_logging

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("NOTIFICATIONS_VAR_DIR", PROJECT_DIR / "var" / "notifications"))

SECRET_KEY = os.environ.get("NOTIFICATIONS_SECRET_KEY", "notifications-service-insecure-demo-key")
DEBUG = os.environ.get("NOTIFICATIONS_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get(
    "NOTIFICATIONS_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver"
).split(",")

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "django_filters",
    "extracted_services.notifications",
]

MIDDLEWARE = [
    # request id, request/DB time by route (OpenTelemetry's own, when on, goes before it)
    "extracted_services.chassis.metrics.ObservedRequests",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "extracted_services.notifications.urls"
WSGI_APPLICATION = "extracted_services.notifications.wsgi.application"
TEMPLATES: list[dict[str, object]] = []

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'notifications.sqlite3'}"),
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# The event inbox (DESIGN §5): deliveries carry "Authorization: Bearer <EVENTS_TOKEN>".
EVENTS_TOKEN = os.environ.get("EVENTS_TOKEN", "")
# A delivered batch may be larger than Django's 2.5 MB default for a request body.
DATA_UPLOAD_MAX_MEMORY_SIZE = 32 * 1024 * 1024

# One identity across the stack (DESIGN §6): the monolith's JWTs, verified with its JWKS.
JWKS_URL = os.environ.get("JWKS_URL", "http://127.0.0.1:8000/.well-known/jwks.json")
JWT_ISSUER = os.environ.get("JWT_ISSUER", "legacy-monolith")
JWT_AUDIENCE = os.environ.get("JWT_AUDIENCE", "notifications")
JWT_LEEWAY = int(os.environ.get("JWT_LEEWAY", "30"))

IDENTITY = "extracted_services.notifications.identity"
# Without the verifier every caller is anonymous (and refused): the service still starts.
AUTHENTICATION = [
    f"{IDENTITY}.BearerAuthentication"
    if importlib.util.find_spec(IDENTITY)
    else "extracted_services.notifications.unverified.NoVerifier"
]

# The monolith's public contract: same pagination, filters and error envelope.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": AUTHENTICATION,
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_PAGINATION_CLASS": "extracted_services.notifications.pagination.ShopPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "EXCEPTION_HANDLER": "extracted_services.notifications.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}

# JSON lines on stderr (STRANGLER_LOG_FORMAT=text: plain text), service name OTEL_SERVICE_NAME
LOGGING = django_logging("notifications", "extracted_services")
