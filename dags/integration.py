"""
### Tích hợp vào cơ sở dữ liệu dùng chung (integration)

Upserts every described file (metadata, page text, PDF reference and checksum) into the shared
database, keyed by file code; unchanged files are not rewritten. Writes through the
Postgres provider's hook when the connection `SOHOA_SHARED_CONN_ID` is configured, else
into the embedded SQLite shared database. The first task brings the shared database's
contract schema (`csdl`, its own migrations, `schema_version`) up to date. Restricted files
keep their access mode; PostgreSQL's Row Level Security keeps them from public readers.
Every change lands in the change feed (`csdl.v_changes`).

A file is a candidate when it is new, when something it is built from changed since it
was integrated (a trigger-kept revision: its pages' text, its documents, its own
catalogue entry) or when its agency's name or holder changed; the others are not even
read. **Kiểm tra lại toàn bộ** compares every file with the shared database instead
(after that database was restored from a backup, say).

Runs when `sohoa_described` is announced; trigger with **agency** / **file** to rerun.
Announces `sohoa_integrated`.
"""

from airflow.sdk import Param

from sohoa import pipeline
from sohoa.airflow_glue import ASSETS, phase_dag, shared_engine


def _run(agency, file_ref=None, force=False, recheck=False):
    return pipeline.run_integration(agency, file_ref, shared_engine=shared_engine(), force=force,
                                    recheck=bool(recheck))


def _agencies(agency, recheck=False):
    return pipeline.agencies_to_integrate(agency, shared_engine(), recheck=bool(recheck))


dag = phase_dag(
    "integration",
    doc_md=__doc__,
    lister=_agencies,
    runner=_run,
    extra_params={"recheck": Param(
        False, type="boolean", title="Kiểm tra lại toàn bộ",
        description="So từng hồ sơ với CSDL dùng chung, không chỉ những hồ sơ đã thay đổi "
                    "(ví dụ sau khi CSDL dùng chung được khôi phục từ bản sao lưu).")},
    schedule=[ASSETS["described"]],
    outlet=ASSETS["integrated"],
    tags=["integration", "phase-6"],
    prepare=lambda: pipeline.migrate_shared(shared_engine()),
)
