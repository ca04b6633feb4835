"""The progress line: drawn on a terminal only, overwritten in place, erased before other output."""

from __future__ import annotations

import io

import pytest

from pendo_sync import progress as progress_module
from pendo_sync.progress import Progress, RecentRate, line


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_line_shows_done_total_rate_and_eta() -> None:
    assert line("visitors", 250_000, 1_000_000, 25_000.0) == (
        "visitors: 250,000 / 1,000,000 rows (25%), 25,000 rows/s, ETA 0:30"
    )
    assert line("visitors", 0, 0, 0.0) == "visitors: 0 / 0 rows, 0 rows/s"
    assert line("events", 10, 5, 10.0) == "events: 10 / 5 rows (100%), 10 rows/s"  # never over 100%, no ETA
    assert line("events", 1_000, 200_000, 100.0, "events") == (
        "events: 1,000 / 200,000 events (0%), 100 events/s, ETA 33:10"
    )
    assert line("events", 0, 500_000, 100.0, "events").endswith("ETA 1:23:20")


def test_the_rate_is_the_recent_one_so_the_eta_follows_a_slowdown() -> None:
    rate = RecentRate(window=10.0)
    assert rate.rate() == 0.0
    for second in range(0, 31):  # 100 events/s for 30 s ...
        rate.add(float(second), 100 * second)
    assert rate.rate() == 100.0
    for second in range(31, 61):  # ... then 10/s (Pendo answering 429s) for 30 s
        rate.add(float(second), 3_000 + 10 * (second - 30))
    assert rate.rate() == 10.0  # not the run's average (55/s)
    assert line("events", 3_300, 4_300, rate.rate(), "events").endswith("ETA 1:40")


def test_quiet_when_not_a_terminal() -> None:
    stream = io.StringIO()
    shown = Progress(stream)
    shown.start("visitors", 10)
    shown.update("visitors", 5)
    with shown.hidden():
        stream.write("")
    shown.finish("visitors")
    assert stream.getvalue() == ""


def test_a_terminal_gets_one_line_redrawn_in_place_then_erased(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress_module, "REDRAW_EVERY", 0.0)
    stream = Terminal()
    shown = Progress(stream)
    shown.start("visitors", 1_000)
    shown.update("visitors", 500)
    shown.update("visitors", 1_000)
    shown.finish("visitors")
    text = stream.getvalue()
    assert "\n" not in text
    assert "visitors: 500 / 1,000 rows (50%)" in text and "visitors: 1,000 / 1,000 rows (100%)" in text
    assert text.endswith("\r")  # erased: the cursor is back at the start of a blank line
    last_draw = text.rsplit("\r", 2)[-2]
    assert last_draw.strip() == ""


def test_models_sending_at_once_share_the_line_and_a_printed_line_is_never_mixed_with_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(progress_module, "REDRAW_EVERY", 0.0)
    stream = Terminal()
    shown = Progress(stream)
    shown.start("events", 300, "events")
    shown.start("visitors", 1_000)
    shown.update("visitors", 500)
    assert shown.text().startswith("events: 0 / 300 events (0%)")
    assert " | visitors: 500 / 1,000 rows (50%)" in shown.text()
    with shown.hidden():
        erased_at = len(stream.getvalue())
        stream.write("a report line\n")
    assert stream.getvalue()[:erased_at].rsplit("\r", 2)[-2].strip() == ""  # erased before the line
    shown.finish("visitors")
    shown.update("events", 150)
    assert stream.getvalue().rsplit("\r", 1)[-1] == shown.text()
    assert shown.text().startswith("events: 150 / 300 events (50%)") and "visitors" not in shown.text()
    shown.update("visitors", 1_000)  # after its finish: nothing to draw for it
    assert "visitors" not in stream.getvalue().rsplit("\r", 1)[-1]
