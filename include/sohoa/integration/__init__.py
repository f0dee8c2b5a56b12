"""Phase 7, integration: loading metadata, text and object references into the shared
database (cơ sở dữ liệu dùng chung) that the city's other systems read, idempotently and
one file per transaction. Hands on: status ``integrated``."""
