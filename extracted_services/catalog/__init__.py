"""The catalog service: categories, products, price history and reviews, extracted from the
monolith (issue 10). Its own Django project, settings, database and migrations; it never
imports the monolith (import-linter). This slice serves the read side with the monolith's
public contract and fills its database with ``manage.py backfill_catalog``.
"""
