# Kirana Partner Bot — runs `kirana-bot run` with the database on a volume at /data.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    KIRANA_DB_PATH=/data/kirana.sqlite3

# libfribidi0: Pillow's Raqm text layout needs it at run time to shape the Devanagari labels of
# the /stats chart (without it the labels are drawn unshaped). The font itself ships in bot/.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libfribidi0 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md babel.cfg ./
COPY bot ./bot
COPY locales ./locales
RUN pip install . \
    && pybabel compile -D messages -d locales \
    && useradd --create-home --uid 10001 kirana \
    && mkdir -p /data && chown kirana:kirana /data

USER kirana
VOLUME ["/data"]
# The package reads its catalogs from /app/locales (next to bot/).
ENV PYTHONPATH=/app
CMD ["python", "-m", "bot", "run"]
