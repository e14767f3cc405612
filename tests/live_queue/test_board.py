"""The lobby board over its socket: public (no session), sent whole on connecting, then only
what changed when a party is told to head over; and never a name, a phone number or a dish."""

import pytest
from asgiref.sync import sync_to_async

from live_queue.consumers import CLOSE_NOT_FOUND
from orders import services

from .conftest import Screen, open_socket, top_level_ids

pytestmark = pytest.mark.django_db(transaction=True)


def text(screen):
    return " ".join(screen.page.soup.get_text(" ").split())


def _notify(order_id):
    return services.notify_party(order_id, None)


async def test_the_board_shows_a_code_the_moment_its_party_is_told_to_head_over(restaurant, join):
    ada = await join(restaurant, "Ada")
    bob = await join(restaurant, "Bob")
    board = await Screen(f"/ws/r/{restaurant.slug}/board/").open()
    assert 'id="called-codes"' in board.html and "No codes called yet" in text(board)
    assert "2 parties waiting" in text(board)

    await sync_to_async(_notify)(ada.pk)

    await board.shows(f'id="called-{ada.order_code}"')
    assert "1 party waiting" in text(board) and "No codes called yet" not in text(board)
    assert board.page.ids_in("called-codes") == [f"called-{ada.order_code}"]
    assert bob.order_code not in board.html
    await board.close()


async def test_a_board_push_carries_only_codes_and_numbers(restaurant, join):
    ada = await join(restaurant, "Ada Lovelace")
    socket = open_socket(f"/ws/r/{restaurant.slug}/board/")
    ok, _ = await socket.connect()
    assert ok
    heard = [await socket.receive_from()]
    await sync_to_async(_notify)(ada.pk)
    heard.append(await socket.receive_from())
    push = heard[-1]
    assert f'id="called-{ada.order_code}"' in push
    # Only the board's own pieces: the codes list, its heading and the counts.
    assert set(top_level_ids(push)) - {None} <= {"board-state", "board-called-head", "board-waits"}
    for html in heard:
        assert "Ada" not in html and "Lasagne" not in html and ada.public_token not in html
    await socket.disconnect()


async def test_a_board_for_no_restaurant_is_closed_as_not_found(transactional_db):
    socket = open_socket("/ws/r/nowhere/board/")
    ok, _ = await socket.connect()
    assert ok
    assert (await socket.receive_output())["code"] == CLOSE_NOT_FOUND
