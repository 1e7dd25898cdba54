FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml ./
RUN pip install .

COPY . .
# collectstatic needs settings that load; the real key comes from the environment at run time.
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput -v0

RUN useradd --system --uid 1000 roleplan && chown -R roleplan /app
USER roleplan

EXPOSE 8000
CMD ["gunicorn", "roleplan.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "4", "--access-logfile", "-"]
