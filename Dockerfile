# The one image behind web, worker, beat (and later the IDLE listener).
FROM python:3.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VAR_DIR=/var/lib/courriel

RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
# Build steps need settings, not secrets: DEBUG=true lets them load without any.
RUN DEBUG=true python manage.py compilemessages --ignore .venv -v 0 \
    && DEBUG=true STATIC_MANIFEST=true python manage.py collectstatic --no-input -v 0 \
    && useradd --system --home-dir /var/lib/courriel --create-home courriel

USER courriel
EXPOSE 8000
CMD ["uvicorn", "webmail.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--workers", "2", "--proxy-headers"]
