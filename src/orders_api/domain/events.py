"""What the business is told: an event per placed order and per status change.

The envelope is EventBridge's; the detail is the order as the API returns it.
"""

EVENT_SOURCE = "orders-api"
ORDER_PLACED = "OrderPlaced"
ORDER_STATUS_CHANGED = "OrderStatusChanged"
DETAIL_TYPES = (ORDER_PLACED, ORDER_STATUS_CHANGED)
