"""The catalog service: categories, products, price history, reviews and helpful votes,
extracted from the monolith (issue 10). Its own Django project, settings, database and
migrations; it never imports the monolith (import-linter).

- Reads and writes with the monolith's public contract (``api``): paths, fields, filters,
  pagination, permissions, status codes and the error envelope. Callers are who the
  monolith's JWT says (``identity``); each write records its events in the same
  transaction (``changes``, ``outbox``).
- ``POST /internal/events/`` applies the monolith's catalog events while it owns the
  catalog, and its order events into the ``Purchase`` projection ("verified purchase")
  (``inbox``, ``applying``, ``wire``).
- ``manage.py backfill_catalog`` copies the monolith's rows through its API (``backfill``,
  ``purchases``); every copied entity starts at version 0.
- ``/api/catalog/products/{id}/availability/`` is NOT served here: it reads inventory, which
  stays in the monolith. The route table keeps that endpoint at the monolith (its own
  route); a request that reaches this service anyway answers 404 ``not_found`` in the
  envelope ("No endpoint at ...").
"""
