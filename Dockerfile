# Build: install into a virtual environment and compile the message catalogs.
FROM python:3.11-slim AS build
WORKDIR /src
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/ughi
COPY pyproject.toml README.md requirements.lock ./
COPY ughi ughi
COPY bot bot
COPY knowledge knowledge
COPY leads leads
COPY admin_api admin_api
RUN /opt/ughi/bin/pip install . -c requirements.lock \
 && /opt/ughi/bin/pybabel compile -d /opt/ughi/lib/python3.11/site-packages/bot/locales -D messages

# Run: a small image, a user without privileges, migrations before start.
FROM python:3.11-slim
RUN useradd --create-home --uid 10001 ughi
COPY --from=build /opt/ughi /opt/ughi
ENV PATH=/opt/ughi/bin:$PATH UGHI_HOST=0.0.0.0 UGHI_PORT=8000 UGHI_VAR_DIR=/data PYTHONUNBUFFERED=1
RUN mkdir /data && chown ughi /data
USER ughi
WORKDIR /home/ughi
EXPOSE 8000
CMD ["sh", "-c", "ughi db upgrade && exec ughi serve"]
