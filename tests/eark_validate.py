"""Run eark-validator (in its own virtualenv: it pins lxml==5.1.0) on unpacked packages.

Offline: on import the validator reads four CSIP vocabularies from earkcsip.dilcis.eu; the
same files ship inside it (eark_validator/ipxml/resources/vocabs/), so urllib's urlopen is
replaced, before the import, by one that answers those URLs from there and refuses any
other. Prints one JSON line per package: structure status, schema errors, Schematron
results by severity.

    .venv-eark/bin/python tests/eark_validate.py PACKAGE_DIR...
"""

import importlib.util
import json
import sys
import urllib.request
from pathlib import Path

VOCABS = Path(importlib.util.find_spec("eark_validator").origin).parent / "ipxml/resources/vocabs"


def _offline_urlopen(url, *args, **kwargs):
    url = getattr(url, "full_url", url)
    name = str(url).rsplit("/", 1)[-1]
    if not str(url).startswith("https://earkcsip.dilcis.eu/schema/") or not (VOCABS / name).is_file():
        raise OSError(f"offline: refusing to fetch {url}")
    return open(VOCABS / name, "rb")


urllib.request.urlopen = _offline_urlopen

from eark_validator.packages import PackageValidator  # noqa: E402
from eark_validator.specifications.specification import SpecificationVersion  # noqa: E402


def main(paths):
    for path in paths:
        report = PackageValidator(Path(path), SpecificationVersion.V2_1_0).validation_report
        meta = report.metadata
        schematron = meta.schematron_results.messages if meta else []
        print(json.dumps({
            "path": path,
            "structure": report.structure.status.value,
            "structure_messages": [m.model_dump(mode="json") for m in report.structure.messages],
            "schema_status": meta.schema_results.status.value if meta else None,
            "schema_errors": [m.model_dump(mode="json") for m in meta.schema_results.messages]
            if meta else [],
            "schematron_status": meta.schematron_results.status.value if meta else None,
            "schematron": [{"rule": m.rule_id, "severity": m.severity.value,
                            "message": m.message[:200]} for m in schematron],
        }, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
