"""The Orders table's layout in DynamoDB: read by the repository, the CDK stack and the twin.

One item per order under its id; two global secondary indexes, both projecting every attribute
so that a page of orders costs one Query and no GetItem:

- `byCustomer` (customerId, createdAt): a customer's own orders, newest first (GET /orders);
- `byStatus` (status, createdAt): the business's orders by status and date, across customers.

The stream carries old and new images, so that an event can tell a placement (INSERT) from a
status change (MODIFY) and name the status before it.
"""

from typing import Final

PARTITION_KEY = "orderId"
CUSTOMER_INDEX = "byCustomer"
CUSTOMER_KEY = "customerId"
STATUS_INDEX = "byStatus"
STATUS_KEY = "status"
CREATED_KEY = "createdAt"
"""The sort key of both indexes: RFC 3339 UTC to the millisecond, so text order is time order."""
STATUS_CHANGED_KEY = "statusChangedAt"
STATUS_ATTRIBUTES = (STATUS_KEY, STATUS_CHANGED_KEY)
"""The only attributes a status change writes."""
STREAM_VIEW_TYPE: Final = "NEW_AND_OLD_IMAGES"
