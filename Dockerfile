# ReadyTable: one daphne process serves the pages, the WebSockets and (through WhiteNoise) the
# static files. Configuration comes from the environment (README "Configuration"); with
# DEBUG off the app refuses to start without SECRET_KEY.
# Written without a Docker engine at hand: see README "Deploying".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so a code change does not reinstall them. Every wheel needed is binary
# (psycopg2-binary brings its own libpq), so no compiler or system packages.
COPY requirements.txt .
RUN pip install -r requirements.txt

RUN groupadd --system readytable \
    && useradd --system --gid readytable --home-dir /app --no-create-home --shell /usr/sbin/nologin readytable

COPY . .

# Static files with fingerprinted names and a manifest, as DEBUG off needs them. The key is a
# throwaway for this build step only (settings refuse DEBUG off without one); the real one is
# given at run time.
RUN DEBUG=0 SECRET_KEY=build-only-not-a-secret python manage.py collectstatic --noinput --verbosity 0

USER readytable
EXPOSE 8000

# /healthz checks the app and its database. Django answers only to ALLOWED_HOSTS, so the
# check sends the first of them as the Host header.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request as u; h = (os.environ.get('ALLOWED_HOSTS') or 'localhost').split(',')[0].strip().lstrip('.'); h = 'localhost' if h in ('', '*') else h; u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': h}), timeout=4)"

# --proxy-headers: behind the reverse proxy, take the client address from X-Forwarded-For.
# (https is recognised from X-Forwarded-Proto by Django's SECURE_PROXY_SSL_HEADER.)
CMD ["daphne", "--bind", "0.0.0.0", "--port", "8000", "--proxy-headers", "config.asgi:application"]
