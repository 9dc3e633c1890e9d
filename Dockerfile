# The candidate help desk: one image for every process of a deployment.
#
#   docker build -t candidate-helpdesk .
#   docker run ... candidate-helpdesk                                   # a Rasa server (5005)
#   docker run ... candidate-helpdesk helpdesk serve actions            # an action server (5055)
#   docker run ... candidate-helpdesk helpdesk sweep --loop             # the deadline monitor
#   docker run ... candidate-helpdesk helpdesk ats migrate              # once per release
#
# Configuration comes from environment variables only (docs/deploy.md,
# deploy/production.env.example). The model is trained here, at build time, so containers start
# without training.

# The base: Ubuntu 22.04 LTS and its python3.10, which Ubuntu still patches (standard support to
# 2027-06, ESM to 2032); python.org's 3.10, and so python:3.10-slim, gets no security fixes
# since October 2026 (README, "Python 3.10").
ARG BASE_IMAGE=ubuntu:22.04

# -- build: a virtualenv with the dependencies and the project --------------------------------
FROM ${BASE_IMAGE} AS build

ENV DEBIAN_FRONTEND=noninteractive \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3.10 python3.10-venv \
    && rm -rf /var/lib/apt/lists/* \
    && python3.10 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src

# The dependencies first, exactly the versions and files of requirements.lock (`make lock`), in
# a layer that changes only with the lock (Rasa brings TensorFlow: this is the slow part).
COPY requirements.lock ./
RUN pip install --require-hashes --use-pep517 -r requirements.lock

# Then the project itself, without dependencies (they are all above) and built with the lock's
# setuptools rather than one fetched for the build (the desk's templates and the migrations are
# package data).
COPY pyproject.toml README.md ./
COPY ats ./ats
COPY speech ./speech
COPY dialogue ./dialogue
COPY actions ./actions
COPY channels ./channels
COPY server ./server
COPY desk ./desk
COPY monitor ./monitor
COPY ops ./ops
RUN pip install --no-deps --no-build-isolation . \
    && pip check \
    && helpdesk --help >/dev/null

# -- runtime ----------------------------------------------------------------------------------
FROM ${BASE_IMAGE}

# The same python3.10 as the build's (the virtualenv links to it), kept patched by rebuilding
# the image (`docker build --pull`). tini as PID 1: it forwards SIGTERM to the help desk's
# process and reaps children, so `docker stop` and Kubernetes stop containers promptly.
# hadolint ignore=DL3008
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       python3.10 tini ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 helpdesk \
    && useradd --system --uid 10001 --gid helpdesk --create-home --home-dir /home/helpdesk \
       --shell /usr/sbin/nologin helpdesk

COPY --from=build /opt/venv /opt/venv

# The project directory: Rasa's files, the training data, the web chat's files and the code.
# The code is imported from here (PYTHONPATH), so the project's files (config.yml, data/,
# models/, web/, var/) are found beside it, exactly as in a checkout.
WORKDIR /opt/helpdesk
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/opt/helpdesk \
    PYTHONUNBUFFERED=1 \
    RASA_TELEMETRY_ENABLED=false \
    TF_CPP_MIN_LOG_LEVEL=2 \
    MPLCONFIGDIR=/tmp/matplotlib \
    RASA_CACHE_DIRECTORY=/tmp/rasa-cache

COPY config.yml domain.yml credentials.yml endpoints.yml ./
COPY data ./data
COPY web ./web
COPY ats ./ats
COPY speech ./speech
COPY dialogue ./dialogue
COPY actions ./actions
COPY channels ./channels
COPY server ./server
COPY desk ./desk
COPY monitor ./monitor
COPY ops ./ops

# Train now: the model lands in models/ under the fingerprint of data, config, domain and Rasa's
# version, which is what the servers look for when they start. models/ stays read-only at run
# time; var/ (the endpoints file generated from the environment, the mail outbox when SMTP_HOST
# is unset, the event spool while RabbitMQ is away) is the only directory the help desk writes
# to (also for an arbitrary user in group 0, as OpenShift runs containers).
RUN helpdesk train \
    && rm -rf /tmp/rasa-cache /tmp/matplotlib .rasa \
    && ls models/helpdesk-*.tar.gz \
    && python -m compileall -q ats speech dialogue actions channels server desk monitor ops \
    && mkdir -p var/outbox var/spool \
    && chown -R helpdesk:0 var \
    && chmod -R g=u var

# numeric, so that Kubernetes' runAsNonRoot can check it
USER 10001:10001

EXPOSE 5005 5055

# Every Rasa server and action server answers GET /health (200 when its dependencies answer,
# 503 otherwise). An action server sets HEALTHCHECK_URL=http://127.0.0.1:5055/health, the
# deadline monitor (helpdesk sweep --loop --port 9105) http://127.0.0.1:9105/health.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(os.environ.get('HEALTHCHECK_URL') or 'http://127.0.0.1:5005/health', timeout=4)"]

ENTRYPOINT ["tini", "--"]
CMD ["helpdesk", "serve", "rasa"]
