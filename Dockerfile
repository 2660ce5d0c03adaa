# One image for every process of the production stack: web (gunicorn), worker, beat, migrate.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_ENV=production \
    PORT=8000

RUN groupadd --system okr \
    && useradd --system --gid okr --home-dir /app --no-create-home --shell /usr/sbin/nologin okr

WORKDIR /app
# The app user owns /app: settings create var/ (static files, local state) at start-up.
RUN chown okr:okr /app

# Dependencies first, pinned by the constraints file, so code changes reuse this layer.
COPY pyproject.toml ./
COPY requirements/constraints.txt requirements/constraints.txt
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -c requirements/constraints.txt -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY --chown=okr:okr . .
USER okr

# Static files are collected into the image (whitenoise serves them, hashed and compressed).
# Production settings insist on real secrets, so the build passes throw-away ones: nothing here
# connects to a database or a broker.
RUN DJANGO_ENV=production \
    SECRET_KEY=collectstatic-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz \
    DATABASE_URL=postgres://build@localhost:5432/build \
    CELERY_BROKER_URL=redis://localhost:6379/0 \
    ALLOWED_HOSTS=localhost \
    INTEGRATION_CREDENTIAL_KEYS=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    python manage.py collectstatic --no-input

EXPOSE 8000

# The Procfile's web command; docker-compose.yml gives worker, beat and migrate their own.
CMD ["sh", "-c", "exec gunicorn okrplatform.wsgi --bind 0.0.0.0:${PORT:-8000} --workers ${WEB_CONCURRENCY:-2} --access-logfile -"]
