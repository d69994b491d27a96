from django.http import JsonResponse
from django.urls import path


def health(request):  # type: ignore[no-untyped-def]
    return JsonResponse({"status": "ok"})


urlpatterns = [path("health/", health, name="health")]
