"""The web UI's Webhooks page offers one checkbox per event type an endpoint may subscribe to; the API lists none (it
names them only when it refuses an unknown one), so the UI keeps a copy (`EVENT_TYPES` in
gateway/ui/src/pages/admin/forms.ts), which must equal `SUBSCRIBABLE`."""

from __future__ import annotations

import re
from pathlib import Path

from webhook_svc.domain.endpoints import SUBSCRIBABLE

FORMS = Path(__file__).resolve().parents[4] / "gateway" / "ui" / "src" / "pages" / "admin" / "forms.ts"


def test_the_ui_offers_every_subscribable_event_type_and_no_other() -> None:
    declared = re.search(r"export const EVENT_TYPES = \[(.*?)\] as const;", FORMS.read_text(encoding="utf-8"), re.S)
    assert declared is not None, f"no EVENT_TYPES list in {FORMS}"
    offered = re.findall(r'"([A-Za-z]+)"', declared.group(1))
    assert offered == list(SUBSCRIBABLE), "update EVENT_TYPES in gateway/ui/src/pages/admin/forms.ts"
