# One image for web, worker and beat. Front-end packages come from npm at build time.
# In docker-compose.yml it runs behind the TLS-terminating proxy (deploy/Caddyfile).
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY . .
COPY --from=assets /app/node_modules ./node_modules
RUN pip install --no-cache-dir . && \
    DEBUG=0 SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput
# /var/lib/crm holds the generated SECRET_KEY when none is given (deploy/entrypoint.sh).
RUN useradd --system --uid 1000 crm && mkdir -p /var/lib/crm && chown -R crm /app /var/lib/crm
USER crm
EXPOSE 8000
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--no-control-socket"]
