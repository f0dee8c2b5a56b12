"""
### Đóng gói lưu trữ E-ARK (AIP)

Builds one E-ARK CSIP/AIP 2.1 package per integrated file: root METS, the untouched scans
(`representations/original`) and the PDF/A files (`representations/access`) each with their
own METS, TT 02/2019 descriptive metadata, PREMIS 3.0 (checksums and the file's events),
schemas and documentation; stored as one zip with its SHA-256 under `aips/<agency>/`.
A package is rebuilt only when its file changed; a file whose stored objects fail their
checksum waits (reason recorded) until `fixity_audit` has repaired them.

Runs when `sohoa_integrated` is announced; trigger with **agency** / **file** to rerun.
Announces `sohoa_aip_built`. Outside Airflow: `sohoa aip`, `sohoa restore --file CODE --to DIR`.
"""

from sohoa import pipeline
from sohoa.airflow_glue import ASSETS, phase_dag

dag = phase_dag(
    "aip_build",
    doc_md=__doc__,
    lister=lambda agency: pipeline.agencies_with_work(("integrated",), agency),
    runner=pipeline.run_aips,
    schedule=[ASSETS["integrated"]],
    outlet=ASSETS["aip"],
    tags=["preservation", "aip"],
)
