"""gunicorn's config for the monolith (``gunicorn -c python:legacy_monolith.shop.gunicorn_conf``):
the chassis's JSON error and access logs and its multiprocess metrics' clean-up, as the
services have them. gunicorn reads every global here as a setting: only settings and hooks."""

from extracted_services.chassis.gunicorn_conf import child_exit, json_logconfig, on_starting

__all__ = ["child_exit", "logconfig_dict", "on_starting"]

logconfig_dict = json_logconfig("legacy-monolith")
