# syntax=docker/dockerfile:1
# Kirana Partner Bot. Build: docker build -t kirana-bot .   Run: see compose.yaml and README,
# "Deploying". Two stages: the build stage installs the locked dependencies and compiles the
# catalogs; the final image gets only the virtualenv and the application, runs as a non-root
# user, keeps its database on the /data volume and reports its health from /healthz.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------------------- build
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# Exactly the locked versions (requirements.lock, the runtime part of the project's lock),
# every file's hash checked, nothing resolved here. The venv has no pip of its own.
COPY requirements.lock /tmp/requirements.lock
RUN python -m venv --without-pip /opt/venv \
    && pip --python /opt/venv/bin/python install --require-hashes --no-deps \
        -r /tmp/requirements.lock \
    && pip --python /opt/venv/bin/python check
# FriBiDi here too: docker/check_image.py proves Pillow can shape the chart's Devanagari labels.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libfribidi0 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY docker/ ./docker/
COPY bot/ ./bot/
COPY locales/ ./locales/
# Compiled catalogs only (the .po sources stay in the repository); unused CLDR and phone
# number data out (docker/slim_venv.py); then prove the bot finds everything it needs.
RUN /opt/venv/bin/pybabel compile -D messages -d locales \
    && find locales -type f ! -name '*.mo' -delete \
    && /opt/venv/bin/python docker/slim_venv.py /opt/venv \
    && PYTHONPATH=/app /opt/venv/bin/python docker/check_image.py \
    && /opt/venv/bin/python -m compileall -q -j 0 bot \
    && rm -rf docker

# ---------------------------------------------------------------------------- image
FROM ${PYTHON_IMAGE}
# /healthz stays inside the container; the webhook listens for the proxy.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    KIRANA_DB_PATH=/data/kirana.sqlite3 \
    KIRANA_HEALTH_LISTEN=127.0.0.1 \
    KIRANA_HEALTH_PORT=8088 \
    KIRANA_WEBHOOK_LISTEN=0.0.0.0 \
    KIRANA_WEBHOOK_PORT=8443 \
    KIRANA_STOP_GRACE_SECONDS=8
# libfribidi0: Pillow's wheels bring Raqm and HarfBuzz but load FriBiDi from the system; without
# it the chart's Devanagari labels are not shaped (docker/check_image.py checks this).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libfribidi0 \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --user-group --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin kirana \
    && mkdir -p /data/backups && chown -R kirana:kirana /data \
    && printf '#!/bin/sh\nexec python -m bot "$@"\n' > /usr/local/bin/kirana-bot \
    && chmod 755 /usr/local/bin/kirana-bot
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
USER kirana
WORKDIR /data
VOLUME ["/data"]
# The webhook (behind the reverse proxy); /healthz stays on 127.0.0.1 inside the container.
EXPOSE 8443
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["kirana-bot", "health"]
ENTRYPOINT ["kirana-bot"]
CMD ["run"]
