"""Preservation (bảo quản): what keeps the digitised records safe after integration.

* ``aip`` packs each integrated file (hồ sơ) as an E-ARK CSIP/AIP 2.1 package — root
  ``METS.xml``, ``representations/original`` (the untouched scans) and
  ``representations/access`` (the PDF/A files) each with its own METS,
  ``metadata/descriptive`` (TT 02/2019 fields of the file and its documents),
  ``metadata/preservation/premis.xml`` (objects with fixity, the file's events),
  ``schemas/`` and ``documentation/`` — written with lxml (``mets``, ``premis``,
  ``descriptive``), stored as one zip through ``sohoa.core.storage`` with its SHA-256, and
  rebuilt only when the file changes.
* ``fixity`` re-hashes every stored object (originals, derivatives, PDFs, AIPs, inventory
  lists, reports) in bounded, resumable batches, compares with the checksums the database
  recorded, writes fixity-check events and keeps mismatches/missing copies as findings.
* ``replica`` checks the second copy (``sohoa.core.mirror``) beside the first and repairs
  whichever copy is bad from the good one; both bad is a loss, reported loudly.
* ``restore`` rebuilds a file's originals and PDF/A files from its AIP alone and verifies
  every checksum (the restore drill, ``sohoa restore``).
"""
