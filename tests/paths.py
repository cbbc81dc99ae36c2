"""Where test data lives, for tests that import it (`from tests.paths import EVENTS`)."""

from pathlib import Path

TESTS = Path(__file__).parent
ROOT = TESTS.parent
EVENTS = TESTS / "events"
