# One image, two entry points: `python -m app` (orders, APP_PORT 8000, the default command) and
# `python -m payments` (APP_PORT 8001). Both stages share the base so the venv's interpreter exists.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
WORKDIR /srv
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --no-install-project
COPY common ./common
COPY domain ./domain
COPY actors ./actors
COPY workflows ./workflows
COPY app ./app
COPY payments ./payments
RUN python -m compileall -q common domain actors workflows app payments

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
