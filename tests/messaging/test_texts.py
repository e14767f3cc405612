"""Every text at its worst case: the restaurant's name as long as the model allows (120), a
realistic long one (24 characters: never cut), a PUBLIC_BASE_URL of 30 characters, the
longest values each text can carry (a three-digit wait and hold, a host's 120-character
note). One segment of GSM-7, or the name shortened to fit."""

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from messaging import texts
from messaging.models import Kind

BASE_30 = "https://wait.trattoria-verde.pt"[:30]
REALISTIC = "The Hungry Fisherman Bar"  # 24 characters
LONGEST = ("Ristorante Pizzeria Trattoria Enoteca Bar " * 3)[:120]
KINDS = [k for k in Kind.values]


def party(name, *, grace=120, quote=999, token="A" * 22):
    restaurant = SimpleNamespace(name=name, arrival_grace_minutes=grace)
    return SimpleNamespace(
        order_code="KXQM", public_token=token, restaurant=restaurant, quoted_wait_minutes=quote,
        target_arrival_time=datetime(2025, 6, 6, 19, 40, tzinfo=UTC), customer_name="Maximiliana " * 6,
        queue_position=99,
    )


EXTRA = {"minutes": 999, "before": 999, "after": 999, "note": "x" * texts.HOST_NOTE_LIMIT}


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.PUBLIC_BASE_URL = BASE_30


@pytest.mark.parametrize("kind", KINDS)
def test_every_text_fits_one_gsm7_segment_with_a_realistic_long_name_uncut(kind):
    written = texts.sms(kind, party(REALISTIC), **EXTRA).body
    assert texts.is_gsm7(written)
    assert texts.septets(written) <= 160, (len(written), written)
    if kind != Kind.HOST:  # the host's note is the host's words, checked on its own
        assert written.startswith(REALISTIC + ":") or written.startswith(REALISTIC + " ")
        assert f"{BASE_30}/q/{'A' * 22}" in written
        assert "KXQM" in written or kind == Kind.HELP  # the help reply lists the answers instead


@pytest.mark.parametrize("kind", KINDS)
def test_every_text_fits_with_the_longest_name_the_model_allows_by_shortening_the_name(kind):
    written = texts.sms(kind, party(LONGEST), **EXTRA).body
    assert texts.is_gsm7(written) and texts.septets(written) <= 160, written
    assert "..." in written and LONGEST not in written
    assert written.startswith("Ristorante Pizzeria")  # cut at the end, on a word


def test_head_over_says_when_to_be_there_how_long_the_table_is_held_and_how_to_answer():
    written = texts.sms(Kind.HEAD_OVER, party("Trattoria Verde", grace=10)).body
    assert "head over now" in written and "19:40" in written and "held 10 min" in written
    assert "Reply 1 coming 9 cancel" in written


def test_typographic_quotes_and_dashes_in_a_name_do_not_turn_a_text_into_ucs2():
    written = texts.sms(Kind.JOINED, party("Luigi\u2019s \u2014 Osteria")).body
    assert written.startswith("Luigi's - Osteria:")
    assert texts.is_gsm7(written)


def test_a_name_that_needs_unicode_keeps_it_within_three_ucs2_segments():
    name = "Ταβέρνα του Νίκου 🍷 " * 6
    written = texts.sms(Kind.HEAD_OVER, party(name[:120])).body
    assert not texts.is_gsm7(written)
    assert texts.utf16_units(written) <= 3 * 67


def test_two_septet_characters_count_twice():
    assert texts.septets("[menu]") == 8
    assert texts.is_gsm7("Café Zoé €5") and not texts.is_gsm7("Zoë")


def test_a_host_note_with_an_emoji_or_too_long_is_refused_with_the_reason():
    assert "plain letters" in texts.host_note_problem("Your table is ready 🎉", "X")
    assert "at most 120" in texts.host_note_problem("x" * 121, "X")
    assert texts.host_note_problem("Your table is by the window.", "X") is None
