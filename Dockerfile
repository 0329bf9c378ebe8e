# syntax=docker/dockerfile:1
# Stancemap service image: build the wheel and train the default model in one stage, run in a slim one.

FROM python:3.11-slim AS build
WORKDIR /src
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml constraints.txt README.md ./
COPY stancemap ./stancemap
COPY training ./training
COPY service ./service
COPY data ./data
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install -c constraints.txt . \
 && /opt/venv/bin/stancemap-train --out /opt/models

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    STANCEMAP_MODEL_DIR=/opt/models \
    STANCEMAP_HOST=0.0.0.0 \
    PORT=8000 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/stancemap-metrics
RUN useradd --system --uid 10001 --no-create-home stancemap
COPY --from=build /opt/venv /opt/venv
# The model folder belongs to root and is read-only for the service user: it loads models, never writes them.
COPY --from=build --chown=root:root --chmod=a+rX,go-w /opt/models /opt/models
USER stancemap
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ['PORT']}/readyz\", timeout=4)"]
# stancemap-serve execs gunicorn with the repository's config, so gunicorn itself is PID 1 and gets the signals.
CMD ["stancemap-serve"]
