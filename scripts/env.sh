# Environment of a local sohoa + Airflow standalone run; sourced by run_local.sh.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$ROOT/.venv/bin:$PATH"   # airflow standalone starts its children as `airflow`
export SOHOA_HOME="${SOHOA_HOME:-$ROOT/var}"
export SOHOA_INTAKE_DIR="${SOHOA_INTAKE_DIR:-$SOHOA_HOME/sample/intake}"
export SOHOA_DELIVERY_DIR="${SOHOA_DELIVERY_DIR:-$SOHOA_HOME/sample/deliveries}"
export AIRFLOW_HOME="${AIRFLOW_HOME:-$SOHOA_HOME/airflow}"
export AIRFLOW__CORE__DAGS_FOLDER="$ROOT/dags"
export AIRFLOW__CORE__PLUGINS_FOLDER="$ROOT/plugins"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=False
export AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL=5
export AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL=30
export AIRFLOW__API__HOST=127.0.0.1
export AIRFLOW__API__PORT=8080
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS:-admin:admin}"
