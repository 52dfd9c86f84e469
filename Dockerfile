# syntax=docker/dockerfile:1.7
# Build stage: resolve the locked dependencies into a virtualenv with uv.
FROM python:3.11-slim-bookworm AS build
ENV UV_PROJECT_ENVIRONMENT=/opt/venv UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m pip install --no-cache-dir uv==0.13.8
WORKDIR /src
COPY pyproject.toml uv.lock ./
# Same lock as `make` and CI; runtime dependencies only. psycopg2-binary bundles libpq and
# OpenSSL, so the final image needs no compiler and no system libraries for PostgreSQL.
# EXTRAS=otel adds OpenTelemetry tracing (switched on at run time by the OTEL_* variables).
ARG EXTRAS=""
RUN uv sync --frozen --no-dev --no-install-project ${EXTRAS:+--extra ${EXTRAS}}

# Final stage: the virtualenv and the code, run as an unprivileged user.
FROM python:3.11-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    APP_ENV=production BIND=0.0.0.0:8000
RUN groupadd --system --gid 10001 keel && useradd --system --uid 10001 --gid keel --home-dir /app keel
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# Code stays owned by root: the process can read it, not change it.
COPY app/ app/
COPY migrations/ migrations/
COPY wsgi.py gunicorn.conf.py ./
USER keel
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status != 200)"]
# Migrations are a separate one-shot step (`flask --app wsgi db upgrade`), never run by every replica.
ENTRYPOINT ["gunicorn", "-c", "gunicorn.conf.py"]
CMD ["wsgi:app"]
