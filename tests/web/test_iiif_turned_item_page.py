"""The item page of a IIIF canvas turned by its CSS stylesheet (cookbook recipe 0040's
second way) shows the item's own image, turned as the canvas is, not the image service's
unturned one."""

from __future__ import annotations

from typing import Any


def test_a_canvas_turned_by_css_shows_its_own_turned_image(client_for: Any,
                                                            queued_ws: Any) -> None:
    from glamlab.store import now

    with queued_ws.store.write() as conn:
        conn.execute(queued_ws.store.t.items.insert().values(
            item_id="https://example.org/canvas/turned", version=1, is_current=True,
            modality="image", source_kind="iiif", source="manifest.json",
            uri="https://iiif.example.org/iiif/leaf", content_hash="t1",
            width=2105, height=1523,
            meta={"image_service": "https://iiif.example.org/iiif/leaf", "image_api": 3,
                  "image_turn": "90"},
            created_at=now()))
    html = client_for("val").get("/items/https://example.org/canvas/turned").text
    assert "https://iiif.example.org/iiif/leaf/full/" not in html
    assert 'src="/image/' in html
