"""Channel-layer group names, in one place. One group per diner's order, one per
restaurant's host stand, one per restaurant's kitchen display."""


def diner(order_id):
    return f"order.{order_id}"


def host_stand(restaurant_id):
    return f"restaurant.{restaurant_id}.host"


def kitchen(restaurant_id):
    return f"restaurant.{restaurant_id}.kitchen"
