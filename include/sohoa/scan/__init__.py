"""Phase 4, scanning and image QC: reading scanner deliveries (image folders, PDF, TIFF,
JPEG 2000), checking every page against thresholds with reasons, derivatives for fixable
pages, the rescan queue per station. Hands on: `pages` rows with a QC verdict and the
stored page images; files whose pages all pass, status ``scanned``."""
