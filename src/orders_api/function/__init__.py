"""What Lambda runs: the handler, its responses, the caller, CORS headers and the wiring.

Shipped to Lambda with `domain/`, `adapters/` and `service.py`; imports nothing else of the
package."""
