# Media Studio: one small, non-root image for every tier; its argument picks the process.
#
#   docker build -t media-studio .
#   docker run --env-file prod.env media-studio web        # or: worker | migrate | manage CMD ...
#
# deploy/entrypoint.sh lists the commands; compose.yaml runs them all beside PostgreSQL, Redis and
# the emulator; the README's "Deploying on Google Cloud" runs them on Cloud Run.

# --- Build: the dependencies in a virtualenv (every one ships a wheel: no compiler needed) ------
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /venv
COPY requirements.txt /tmp/requirements.txt
RUN /venv/bin/pip install -r /tmp/requirements.txt

# --- Run: the virtualenv and the code, nothing else ------------------------------------------
FROM python:3.11-slim-bookworm
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=mediastudio.settings \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/data/media \
    SQLITE_PATH=/data/db.sqlite3 \
    PORT=8000
# A fixed, unprivileged user; /data is the only place it writes (local media, or SQLite if no
# DATABASE_URL is given). A named volume mounted there takes this ownership.
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /app --shell /usr/sbin/nologin app \
    && mkdir -p /data/media && chown -R app:app /data
COPY --from=build /venv /venv
WORKDIR /app
COPY . .
# The sample clips and every static file are baked in (hashed names, served by WhiteNoise).
# Both commands read settings, so they need a key; this throwaway one dies with the build step.
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    sh -c 'python manage.py render_samples && python manage.py collectstatic --noinput --verbosity 0'
USER app
EXPOSE 8000
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["web"]
