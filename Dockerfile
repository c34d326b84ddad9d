# The portal's production image: gunicorn serving Django, the same image runs the Celery worker and beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-wqy-microhei curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /app portal

WORKDIR /app
# The pinned, hashed lock (make lock), then the project itself without re-resolving anything.
COPY requirements.txt pyproject.toml ./
RUN pip install --no-cache-dir -r requirements.txt \
    && pip install --no-cache-dir --no-deps -e .
COPY --chown=portal:portal . .

# collectstatic needs settings that import cleanly; these throwaway values exist only at build time.
RUN DEBUG=false SECRET_KEY=build-only ALLOWED_HOSTS=build DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    python manage.py collectstatic --noinput \
    && mkdir -p /var/lib/portal/media /var/lib/portal/private/reports /var/lib/portal/private/imports \
    && chown -R portal:portal /var/lib/portal /app/staticfiles

USER portal
EXPOSE 8000
# As a request for the first allowed host over HTTPS: Django answers other hosts 400 and may redirect plain HTTP.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD curl -fsS -H "Host: ${ALLOWED_HOSTS%%,*}" -H "X-Forwarded-Proto: https" http://127.0.0.1:8000/healthz || exit 1
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
