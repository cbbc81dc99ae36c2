"""Amazon EventBridge, locally: the pipe from the orders' change log to the bus, and the bus."""
