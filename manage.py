#!/usr/bin/env python
import os
import sys
from pathlib import Path


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    # DEBUG is off unless set (gunicorn and Celery run with the settings' default). manage.py in the embedded mode,
    # no DATABASE_URL and so a local SQLite file, is a developer at work (makemigrations, shell, runserver): it
    # runs with DEBUG on, as `make run` does. Against a real database manage.py keeps DEBUG off unless set, so a
    # production migrate or `check --deploy` still needs its secrets.
    # (.env first, as the settings read it: a server configured there is not a developer's checkout.)
    import environ

    environ.Env.read_env(Path(__file__).resolve().parent / ".env", overwrite=False)
    if not os.environ.get("DATABASE_URL"):
        os.environ.setdefault("DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
