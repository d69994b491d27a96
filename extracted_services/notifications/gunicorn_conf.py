"""gunicorn's config for the notifications service: the chassis's JSON logs and multiprocess
metrics hook (``gunicorn -c python:extracted_services.notifications.gunicorn_conf``)."""

from extracted_services.chassis.gunicorn_conf import child_exit, json_logconfig, on_starting

__all__ = ["child_exit", "logconfig_dict", "on_starting"]

logconfig_dict = json_logconfig("notifications")
