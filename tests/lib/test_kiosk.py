"""Wall-screen settings: the file's values, each overridable per screen in the URL, never fatal."""

import datetime as dt

import pytest

from lib import kiosk

PAGES = ["overview", "map", "referrals", "rankings", "meeting"]


def test_the_file_gives_the_defaults():
    config = kiosk.settings({}, PAGES)
    assert config.playlist == ("overview", "map", "referrals", "rankings")
    assert (config.rotate_seconds, config.refresh_seconds, config.watchdog_seconds) == (60, 30, 60)
    assert config.reload_at == dt.time(3, 0)


@pytest.mark.parametrize(
    ("params", "field", "expected"),
    [
        ({"rotate": "map,nowhere,meeting"}, "playlist", ("map", "meeting")),
        ({"rotate": "nowhere"}, "playlist", ("overview", "map", "referrals", "rankings")),
        ({"every": "3"}, "rotate_seconds", 10),
        ({"every": "abc"}, "rotate_seconds", 60),
        ({"refresh": "9999"}, "refresh_seconds", 600),
        ({"watchdog": "1"}, "watchdog_seconds", 10),
        ({"reload": "04:30"}, "reload_at", dt.time(4, 30)),
        ({"reload": "23:59:30"}, "reload_at", dt.time(23, 59, 30)),
        ({"reload": "off"}, "reload_at", None),
        ({"reload": "25:00"}, "reload_at", dt.time(3, 0)),
        ({"screen": "3840x1080"}, "screen", kiosk.Screen(3840, 1080)),
        ({"screen": "3840×1080"}, "screen", kiosk.Screen()),  # not an x: the default, never an error
        ({"screen": "99999x1080"}, "screen", kiosk.Screen()),
    ],
)
def test_url_overrides_are_bounded_and_forgiving(params, field, expected):
    assert getattr(kiosk.settings(params, PAGES), field) == expected


def test_next_page_wraps_round_and_starts_over_from_a_page_not_in_the_playlist():
    config = kiosk.settings({"rotate": "overview,map"}, PAGES)
    assert config.next_page("overview") == "map"
    assert config.next_page("map") == "overview"
    assert config.next_page("meeting") == "overview"


@pytest.mark.parametrize(("shape", "scale", "columns"), [
    ((1280, 720), 2 / 3, 1), ((1920, 1080), 1, 1), ((2560, 1440), 4 / 3, 1), ((3840, 2160), 2, 1),
    ((3840, 1080), 1, 2), ((5760, 1080), 1, 3), ((1920, 1200), 10 / 9, 1),
])
def test_a_screen_says_how_large_to_draw_and_how_many_columns_fit(shape, scale, columns):
    screen = kiosk.Screen(*shape)
    assert screen.scale == pytest.approx(scale)
    assert screen.columns == columns


@pytest.mark.parametrize(("count", "at_most", "sizes"), [
    (15, 12, [8, 7]), (46, 12, [12, 12, 11, 11]), (12, 12, [12]), (2, 12, [2]), (0, 12, [0]), (5, 1, [1] * 5),
])
def test_a_league_pages_in_balanced_parts(count, at_most, sizes):
    parts = kiosk.pages(count, at_most)
    assert [s.stop - s.start for s in parts] == sizes
    assert parts[0].start == 0
    assert parts[-1].stop == count
