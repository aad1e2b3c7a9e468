"""The Qt binding must not leak or drop references to Python singletons.

PySide6-Essentials 6.12.0 drops one reference to `None` on every wrapped call that returns
nothing (`QLabel.setText`, `QWidget.resize`, ...). On Python 3.11 `None` is not immortal, so
a window that ticks every second aborts after a while with "Fatal Python error:
none_dealloc". pyproject pins the binding below 6.12; this test catches a bad binding.
"""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QCheckBox, QLabel, QWidget


def test_qt_calls_keep_the_reference_counts_of_none_and_bools(qtbot):
    label, box, widget = QLabel(), QCheckBox(), QWidget()
    for w in (label, box, widget):
        qtbot.addWidget(w)
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for i in range(500):
        label.setText(str(i))
        widget.resize(10 + i % 3, 10)
        box.setChecked(i % 2 == 0)
        box.isChecked()
    # A few references come and go with the interpreter's own work; a binding that drops
    # one per call loses hundreds here.
    assert abs(sys.getrefcount(None) - none_before) < 50
    assert abs(sys.getrefcount(True) - true_before) < 50
