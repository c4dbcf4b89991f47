"""The Celery application: `celery -A config worker -l INFO` runs the background jobs (core/jobs.py).

Settings come from Django's (CELERY_* names); tasks are found in each app's tasks.py.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
