"""Phases 2–3, handover (bàn giao) and arrangement (chỉnh lý): boxes received and
reconciled with the list, the archivists' steps, record slips, file codes (TT 05/2025 or
TT 02/2019). Hands on: files with a code, retention and access mode, status ``arranged``."""
