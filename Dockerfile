# Botschafter in a container: see docs/operations.md ("In a container").
#   docker build -t botschafter .
#   docker run -d --name botschafter --env-file .env -v botschafter-data:/data botschafter
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    BOTSCHAFTER_DATA_DIR=/data \
    WEB_HOST=0.0.0.0 \
    WEB_PORT=8080 \
    PATH=/app/.venv/bin:$PATH

WORKDIR /app
# The package and what its metadata reads; tests, docs and benchmarks stay out (.dockerignore).
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
COPY adapters ./adapters
COPY storage ./storage
# The project's own install command (README.md), with PostgreSQL support as well.
RUN python3 -m venv .venv && .venv/bin/pip install -q --no-cache-dir -e '.[discord,slack,postgres]'

# A user of its own, who owns nothing but the data folder.
RUN useradd --system --uid 10001 --user-group --home-dir /data --no-create-home botschafter \
    && mkdir /data && chown botschafter:botschafter /data
USER botschafter
VOLUME ["/data"]

# The web server (board, /healthz, /readyz, /metrics) listens on all of the container's
# addresses, so the health check and a published port reach it.
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('WEB_PORT', '8080'), timeout=4)"]

# SIGTERM (docker stop) stops the bot in order; give it the time: docker stop -t 30.
STOPSIGNAL SIGTERM
ENTRYPOINT ["python", "-m", "bot"]
CMD ["run"]
