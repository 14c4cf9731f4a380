"""The Celery application: configured from Django settings (``CELERY_*``), tasks autodiscovered.

RedBeat's settings are copied under their own names too: RedBeat looks for ``redbeat_*`` keys and would
otherwise fall back to the broker's URL and transport options (with a deprecation warning on every start).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "windowsvc.settings")

app = Celery("windowsvc")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _redbeat_settings(sender: Celery, **kwargs) -> None:
    from django.conf import settings

    sender.conf.update(
        {
            name.removeprefix("CELERY_").lower(): getattr(settings, name)
            for name in dir(settings)
            if name.startswith("CELERY_REDBEAT_")
        }
    )


# Request ids carried into tasks and the project's log format in worker and beat (signals connected there).
from windowsvc import logs  # noqa: E402,F401
