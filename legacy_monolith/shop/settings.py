"""Settings of the legacy shop monolith.

SQLite is the embedded default; ``DATABASE_URL`` (for example
``postgres://postgres@127.0.0.1:5432/shop``) switches to another database.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from extracted_services.chassis.logs import django_logging

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("STRANGLER_VAR_DIR", BASE_DIR.parent / "var"))

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "legacy-monolith-insecure-demo-key")
DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",  # the OpenAPI schema at /api/schema/ (strangler compare --openapi)
    # The shop's own apps (legacy_monolith.<app>; label = <app>).
    "legacy_monolith.common",
    "legacy_monolith.catalog",
    "legacy_monolith.inventory",
    "legacy_monolith.customers",
    "legacy_monolith.orders",
    "legacy_monolith.payments",
    "legacy_monolith.shipping",
    "legacy_monolith.reviews",
    "legacy_monolith.notifications",
    # Infrastructure of the migration (issue 10), not business contexts.
    "legacy_monolith.outbox",  # transactional outbox, inbox, per-entity versions
    "legacy_monolith.identity",  # the ID provider: JWT signing keys, JWKS
]

MIDDLEWARE = [
    # request id, request/DB time by route (OpenTelemetry's own, when on, goes before it)
    "extracted_services.chassis.metrics.ObservedRequests",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # the browsable API's CSS under gunicorn
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "legacy_monolith.shop.urls"
WSGI_APPLICATION = "legacy_monolith.shop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'monolith.sqlite3'}"),
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at
        # BEGIN, so concurrent gunicorn workers queue on the busy timeout instead of
        # failing with "database is locked" when a reader upgrades to a writer.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
# WhiteNoise serves the apps' static files (DRF's browsable API) straight from the installed
# packages: no collectstatic step, so a fresh checkout's `make demo` shows styled pages.
WHITENOISE_USE_FINDERS = True

SPECTACULAR_SETTINGS = {
    "TITLE": "The legacy shop",
    "VERSION": "1.0",
    "SERVE_INCLUDE_SCHEMA": False,  # the schema does not list itself
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],  # a contract, no secret
    # the legacy views give the generator plenty to say (untyped ids, APIViews without
    # serializers): `manage.py spectacular --validate` shows it; the served schema stays quiet
    "DISABLE_ERRORS_AND_WARNINGS": True,
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its "WWW-Authenticate: Token" makes anonymous API calls answer 401.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "legacy_monolith.common.pagination.ShopPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "EXCEPTION_HANDLER": "legacy_monolith.common.exceptions.shop_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}

# JSON lines on stderr (STRANGLER_LOG_FORMAT=text: plain text); service name OTEL_SERVICE_NAME
LOGGING = django_logging("legacy-monolith", "legacy_monolith")
