"""Phase 6, description (mô tả, "bóc tách dữ liệu"): each file's pages split into its
documents (văn bản) and each document's metadata read from its first and last pages by
the NĐ 30/2020 layout (``layout``: the one table of type names, abbreviations, motto,
marks, organ abbreviations and signing prefixes; ``extract``: pure functions from page
text and OCR line records to ``DocumentDraft``). Handwritten, smudged or conflicting
values are left empty and flagged for review, never guessed.

Hands on: per file, a list of ``DocumentDraft`` (ordinal, page range, type, number and
notation, date, organ, subject, signer, language, secrecy/urgency marks, a confidence per
field and the fields a person must review with a Vietnamese reason), which the database
phase stores in ``documents`` and shows for review before integration.
"""
