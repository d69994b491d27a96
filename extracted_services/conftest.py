"""What pytest collects here: nothing of the services themselves.

Each extracted service is its own Django project with its own settings, while the test
process runs the monolith's Django (pytest-django): importing a service's models there fails.
Their tests (tests/extracted_services/) run each service as its own process instead.
The chassis is no project: a library with no models, its examples run here.
"""

from pathlib import Path

collect_ignore = [
    p.name for p in Path(__file__).parent.iterdir() if p.is_dir() and p.name != "chassis"
]
