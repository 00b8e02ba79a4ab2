# One image, two entry points: `python -m app` (orders, APP_PORT 8000, the default command) and
# `python -m payments` (APP_PORT 8001). Both stages share the base so the venv's interpreter exists.
# PYTHON_IMAGE is the public image where a registry is reachable; `make image` passes a base made
# locally from Debian packages (scripts/containers/debian-image.sh) instead.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
# uv from PyPI, so no other registry is needed; `make image` passes the Makefile's UV_VERSION.
# --target skips pip's externally-managed check (PEP 668) that Debian's python3 carries.
ARG UV_VERSION=0.13.9
RUN PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore \
    python3 -m pip install --quiet --no-cache-dir --target /opt/uv "uv==${UV_VERSION}"
# UV_NATIVE_TLS: uv trusts the system store, which a build may extend (see scripts/containers).
ENV PATH=/opt/uv/bin:$PATH UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never \
    UV_NATIVE_TLS=1
WORKDIR /srv
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --no-install-project
# The project's packages: .dockerignore lets in exactly the ones listed there.
COPY . ./
RUN python3 -m compileall -q -x '/\.venv/' /srv

FROM ${PYTHON_IMAGE}
RUN groupadd --gid 10001 app \
 && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin app
WORKDIR /srv
COPY --from=build /srv /srv
ENV PATH=/srv/.venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    APP_HOST=0.0.0.0
USER 10001:10001
EXPOSE 8000 8001
CMD ["python", "-m", "app"]
