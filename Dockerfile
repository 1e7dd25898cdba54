# Debian trixie: its postgresql-client (17) dumps and restores the PostgreSQL 16 of
# docker-compose.yml (pg_dump reads older servers; pg_restore writes to them).
FROM python:3.11-slim-trixie

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

# pg_dump and pg_restore, for manage.py dbbackup / dbrestore.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml ./
RUN pip install .

COPY . .
# collectstatic needs settings that load; the real key comes from the environment at run time.
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput -v0

# /app/backups is BACKUP_DIR's default; compose mounts a volume there.
RUN useradd --system --uid 1000 roleplan && mkdir -p /app/backups && chown -R roleplan /app
USER roleplan

EXPOSE 8000
# gunicorn 27 puts its control socket at ~/.gunicorn/gunicorn.ctl unless told: each instance
# gets its own, so two on one host (a test server beside a benchmark) never share one.
CMD ["gunicorn", "roleplan.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "4", "--access-logfile", "-", "--control-socket", "/tmp/gunicorn.ctl"]
