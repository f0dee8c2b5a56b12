"""Phase 8, reporting: the weekly progress report per agency (numbers, XLSX, HTML with
charts) and the live dashboard served inside the Airflow UI. Reads every earlier phase
through the database; writes nothing the pipeline depends on."""
