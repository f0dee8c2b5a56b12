"""Phase 1, inventory (rà soát, lập danh mục): the registry of agencies (merges, splits,
dissolutions), reading the clerks' CSV/XLSX/XLS lists in any encoding, validating each
row, and returning a Vietnamese error workbook. Hands on: one `files` row per listed
file, status ``inventoried``, with every rejected row kept with its reason."""
