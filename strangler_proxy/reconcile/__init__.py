"""Reconciliation (issue 10): the monolith's rows against a service's, entity by entity
(counts, checksums, differing rows), the data-side twin of ``strangler compare``."""
