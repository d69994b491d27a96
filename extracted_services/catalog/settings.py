"""Settings of the catalog service.

Its state lives in ``CATALOG_VAR_DIR`` (default ``var/catalog`` beside the project): SQLite
``catalog.sqlite3`` there unless ``DATABASE_URL`` names another database (PostgreSQL:
``postgres://user@127.0.0.1:5432/catalog``), read as the monolith reads its own.

Events (DESIGN §5): ``EVENTS_TOKEN`` is the bearer the deliverer presents at
``/internal/events/`` (unset: every call is refused). Identity (DESIGN §6): callers present
the monolith's short-lived JWTs, verified against ``JWKS_URL`` for issuer ``JWT_ISSUER`` and
audience ``JWT_AUDIENCE`` (``catalog``) with ``JWT_LEEWAY`` seconds of clock skew.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from extracted_services.chassis.logs import django_logging

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("CATALOG_VAR_DIR", PROJECT_DIR / "var" / "catalog"))

SECRET_KEY = os.environ.get("CATALOG_SECRET_KEY", "catalog-service-insecure-demo-key")
DEBUG = os.environ.get("CATALOG_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("CATALOG_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "django_filters",
    "extracted_services.catalog",
]

MIDDLEWARE = [
    # request id, request/DB time by route (OpenTelemetry's own, when on, goes before it)
    "extracted_services.chassis.metrics.ObservedRequests",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "extracted_services.catalog.outbox.TraceHeadersMiddleware",
]

ROOT_URLCONF = "extracted_services.catalog.urls"
WSGI_APPLICATION = "extracted_services.catalog.wsgi.application"
TEMPLATES: list[dict[str, object]] = []

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'catalog.sqlite3'}"),
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

EVENTS_TOKEN = os.environ.get("EVENTS_TOKEN", "")
JWKS_URL = os.environ.get("JWKS_URL", "http://127.0.0.1:8000/.well-known/jwks.json")
JWT_ISSUER = os.environ.get("JWT_ISSUER", "legacy-monolith")
JWT_AUDIENCE = os.environ.get("JWT_AUDIENCE", "catalog")
JWT_LEEWAY = int(os.environ.get("JWT_LEEWAY", "30"))

# The monolith's public contract: same pagination, filters, permissions and error envelope.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["extracted_services.catalog.identity.BearerAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_PAGINATION_CLASS": "extracted_services.catalog.pagination.ShopPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "EXCEPTION_HANDLER": "extracted_services.catalog.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}

# JSON lines on stderr (STRANGLER_LOG_FORMAT=text: plain text), service name OTEL_SERVICE_NAME
LOGGING = django_logging("catalog", "extracted_services")
