"""The device login's QR code is segno's own PNG, shown as is: the right size, a light quiet
zone, and the dark finder pattern where a phone's camera looks for it."""

from __future__ import annotations

import segno

from workbench.gui.login_panel import qr_image

URI = "https://id.example.com/device?user_code=WDJB-MJHT"


def test_the_qr_code_is_segnos_png_with_its_quiet_zone_and_finder_pattern(qapp):
    scale = 3
    image = qr_image(URI, scale=scale)
    assert image is not None
    modules = segno.make_qr(URI, error="m").symbol_size(scale=1, border=0)[0]
    assert image.width() == image.height() == (modules + 8) * scale

    def dark(x: int, y: int) -> bool:
        return image.pixelColor(x, y).lightness() < 128

    assert not dark(0, 0) and not dark(4 * scale - 1, 4 * scale - 1)  # the quiet zone
    assert dark(4 * scale, 4 * scale)  # the top-left finder pattern's corner
    assert not dark(5 * scale + 1, 5 * scale + 1)  # its light ring
    assert dark(6 * scale + 1, 6 * scale + 1)  # its dark centre
