"""sohoa: digitisation of government paper records, one subpackage per phase.

core → intake → arrangement → scan → ocr → integration → reporting, with sample (the
demo programme) beside them; pipeline, cli and airflow_glue are the thin entry layer on
top. A package imports only core and the phases before it (tests/test_layout.py).
"""

__version__ = "0.1.0"
