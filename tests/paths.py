"""Where test data lives, for tests that import it (`from tests.paths import EVENTS`)."""

from pathlib import Path

TESTS = Path(__file__).parent
ROOT = TESTS.parent
EVENTS = TESTS / "events"
ARTIFACTS = ROOT / "test-artifacts"
"""Screenshots and reports a run leaves for people to look at (git ignores it)."""
