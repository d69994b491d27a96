from django.urls import path

from legacy_monolith.outbox.views import EventsInboxView

urlpatterns = [path("internal/events/", EventsInboxView.as_view(), name="events-inbox")]
