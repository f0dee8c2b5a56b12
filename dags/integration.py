"""
### Tích hợp vào cơ sở dữ liệu dùng chung (integration)

Upserts every described file (metadata, page text, PDF reference and checksum) into the shared
database, keyed by file code; unchanged files are not rewritten. Writes through the
Postgres provider's hook when the connection `SOHOA_SHARED_CONN_ID` is configured, else
into the embedded SQLite shared database. The first task brings the shared database's
contract schema (`csdl`, its own migrations, `schema_version`) up to date. Restricted files
keep their access mode; PostgreSQL's Row Level Security keeps them from public readers.
Every change lands in the change feed (`csdl.v_changes`).

Runs when `sohoa_described` is announced; trigger with **agency** / **file** to rerun.
Announces `sohoa_integrated`.
"""

from sohoa import pipeline
from sohoa.airflow_glue import ASSETS, phase_dag, shared_engine


def _run(agency, file_ref=None, force=False):
    return pipeline.run_integration(agency, file_ref, shared_engine=shared_engine(), force=force)


dag = phase_dag(
    "integration",
    doc_md=__doc__,
    lister=lambda agency: pipeline.agencies_with_work(("ocr_done",), agency),
    runner=_run,
    schedule=[ASSETS["described"]],
    outlet=ASSETS["integrated"],
    tags=["integration", "phase-6"],
    prepare=lambda: pipeline.migrate_shared(shared_engine()),
)
