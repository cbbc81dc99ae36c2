"""Implementations of the OrderRepository port: DynamoDB (AWS), SQLite (local twin), memory."""
