"""Channel-layer group names, in one place. One group per restaurant: every server process
with sockets of that restaurant listens to it (once per process, live_queue.feeds). One group
for changes of staff access, which every server process listens to."""


def restaurant(restaurant_id):
    return f"restaurant.{restaurant_id}"


def staff_access():
    return "staff-access"
