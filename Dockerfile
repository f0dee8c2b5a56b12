# sohoa on the official Airflow image: OCR tools + pinned requirements + the sohoa package.
# Built by docker-compose.yaml (`docker compose build`); no secrets in here.
ARG AIRFLOW_IMAGE=apache/airflow:3.3.2-python3.11
FROM ${AIRFLOW_IMAGE}

USER root
# The Debian packages of scripts/system-packages.txt, the list install_system_deps.sh
# reads too (tests/test_image.py keeps them one list); curl only for health checks.
COPY scripts/system-packages.txt /tmp/system-packages.txt
RUN apt-get update \
 && grep -v -e '^\s*#' -e '^\s*$' /tmp/system-packages.txt \
    | xargs apt-get install -y --no-install-recommends curl \
 && apt-get autoremove -yqq --purge \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /tmp/system-packages.txt \
 && tesseract --list-langs | grep -qx vie

USER airflow
WORKDIR /opt/sohoa

# Requirements first so this layer is cached while only the code changes.
# Pinning apache-airflow to the image's version keeps pip from replacing it.
COPY --chown=airflow:0 requirements.txt /opt/sohoa/requirements.txt
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" -r /opt/sohoa/requirements.txt

# The package itself, installed editable: docker-compose mounts ./include over
# /opt/sohoa/include during development, the baked-in copy is used otherwise.
COPY --chown=airflow:0 pyproject.toml README.md /opt/sohoa/
COPY --chown=airflow:0 include/ /opt/sohoa/include/
RUN pip install --no-cache-dir --no-deps -e /opt/sohoa \
 && sohoa --help >/dev/null \
 && tesseract --list-langs

COPY --chown=airflow:0 dags/ /opt/airflow/dags/
COPY --chown=airflow:0 plugins/ /opt/airflow/plugins/

WORKDIR /opt/airflow
