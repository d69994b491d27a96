"""Health checks: ``/health/`` never touches the database, ``/health/db/`` does."""

from django.db import connection
from django.http import JsonResponse

from legacy_monolith.common.exceptions import error_body


def health(request):
    """Cheap liveness: no database."""
    return JsonResponse({"status": "ok"})


def health_db(request):
    """Readiness: the database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means "not ready"
        body = error_body(503, "database_unavailable", f"Database unavailable: {exc}")
        return JsonResponse(body, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})
