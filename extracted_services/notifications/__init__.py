"""The notifications service: the messages the shop sends its customers about their orders,
extracted from the monolith (issue 10). Its own Django project, settings, database and
migrations; it never imports the monolith (import-linter).

Fed only by events: ``POST /internal/events/`` takes the order lifecycle the monolith
records in its outbox and writes exactly the notifications the monolith writes today
(``rules`` decides, ``inbox`` applies). ``/api/notifications/...`` serves them with the
monolith's public contract; ``manage.py backfill_notifications --from-db URL`` copies the
monolith's existing templates and notifications through a read-only database connection.
"""
