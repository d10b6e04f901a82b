"""The catalogue of error codes (server/errors.py) and docs/api.md's table of them agree."""

from __future__ import annotations

import os
import re

from server.errors import CATALOGUE
from tests.support import ROOT


def test_the_error_table_in_docs_api_lists_every_code_with_its_status():
    api_doc = open(os.path.join(ROOT, "docs", "api.md"), encoding="utf-8").read()
    table = {code: int(status) for status, code in re.findall(r"^\| (\d{3}) \| `(\w+)` \|", api_doc, re.M)}
    assert table == {code: kind.status for code, kind in CATALOGUE.items()}
