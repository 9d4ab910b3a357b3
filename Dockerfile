# syntax=docker/dockerfile:1
# Conduit's HTTP API and lane workers, CPU only (no CUDA, no PyTorch: the optional `embeddings`
# extra is not installed). One image serves every role; compose.yaml picks the command.
#
#   docker build -t conduit:local .
#   docker run --rm -p 8000:8000 -e CONDUIT_DATABASE_URL=... conduit:local
#
# The install is the Makefile's `install` target without the dev extra and not editable:
# `pip install .`, then the spaCy model pinned by hash, with --no-deps (spaCy itself is pinned in
# pyproject.toml), so a changed model file fails the build.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
RUN python -m pip install --quiet --upgrade pip
WORKDIR /src
# The context is filtered by .dockerignore (no .venv, .conduit, .git, caches, tests).
COPY . .
RUN python -m pip install --quiet . \
 && python -m pip install --quiet --no-deps --require-hashes -r requirements/spacy-model.txt

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CONDUIT_HOME=/var/lib/conduit \
    CONDUIT_DATA_ROOT=/var/lib/conduit/data
# CONDUIT_DATA_ROOT holds run files (the API writes them, workers read them): compose mounts one
# volume there in every container; the folder exists here so the volume starts owned by conduit.
# A fixed numeric UID so orchestrators (Kubernetes runAsNonRoot) can check it is not root.
RUN groupadd --system --gid 10001 conduit \
 && useradd --system --uid 10001 --gid conduit --home-dir /var/lib/conduit --create-home \
        --shell /usr/sbin/nologin conduit \
 && install -d -o conduit -g conduit /var/lib/conduit/data
COPY --from=build /opt/venv /opt/venv
USER 10001:10001
WORKDIR /var/lib/conduit
EXPOSE 8000
# slim has no curl: ask /healthz with the standard library (urlopen raises on non-2xx, exit 1).
# Workers run this image too; compose.yaml gives them their own probe.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["conduit", "serve", "--host", "0.0.0.0", "--port", "8000"]
