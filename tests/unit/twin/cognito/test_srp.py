"""Cognito's SRP-6a, server side, proven against pycognito's unmodified client code. No sockets."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
from pycognito.aws_srp import AWSSRP, N_HEX, pad_hex

from orders_api.twin.cognito.srp import (
    SRP_GENERATOR,
    SRP_PRIME,
    ChallengesFull,
    MalformedSrpValue,
    SrpChallenges,
    SrpVerifier,
    Verdict,
    _padded,
    format_timestamp,
    make_verifier,
    parse_timestamp,
)

# pycognito stamps its claims with datetime.utcnow(), deprecated from Python 3.12.
pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")

POOL_ID = "us-east-1_TwinPool42"
CLIENT_ID = "twinclient0000000000000000"
USERNAME = "alice@example.com"
USER_ID = "3f1c2a9e-7b44-4d1e-9a55-0c8e2b6f1d30"
"""The internal username Cognito sends as USER_ID_FOR_SRP when users sign in with an alias."""
PASSWORD = "Correct-horse-7-battery"

Responses = dict[str, str]


class ManualClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


def clock_at_real_time(offset: timedelta = timedelta()) -> ManualClock:
    """A clock starting now (shifted by offset): pycognito signs with the real time."""
    return ManualClock(datetime.now(UTC).replace(microsecond=0) + offset)


@cache
def _cognito_client() -> CognitoIdentityProviderClient:
    return boto3.client("cognito-idp", region_name="us-east-1")


def pycognito_claim(
    challenges: SrpChallenges,
    verifier: SrpVerifier,
    *,
    password: str = PASSWORD,
    user_id: str = USER_ID,
    pool_id: str = POOL_ID,
) -> Responses:
    """The PASSWORD_VERIFIER responses pycognito computes for a challenge the server opened."""
    client = AWSSRP(
        username=USERNAME,
        password=password,
        pool_id=pool_id,
        client_id=CLIENT_ID,
        client=_cognito_client(),
    )
    auth_parameters = client.get_auth_params()
    challenge = challenges.start(user_id, *verifier, auth_parameters["SRP_A"])
    responses: Responses = client.process_challenge(
        {**challenge, "USERNAME": user_id}, auth_parameters
    )
    return responses


def verify(challenges: SrpChallenges, responses: Responses, user_id: str = USER_ID) -> bool:
    return challenges.verify(
        user_id,
        responses["PASSWORD_CLAIM_SECRET_BLOCK"],
        responses["TIMESTAMP"],
        responses["PASSWORD_CLAIM_SIGNATURE"],
    )


class StubbedUserPool:
    """A boto3 cognito-idp client whose SRP calls an SrpChallenges answers via botocore's Stubber.

    Each call is answered just before it would be sent, from its own parameters, so pycognito runs
    unchanged and Stubber checks every answer against the service model. One user.
    """

    def __init__(self, challenges: SrpChallenges, verifier: SrpVerifier) -> None:
        self.client: CognitoIdentityProviderClient = boto3.client(
            "cognito-idp", region_name="us-east-1"
        )
        self.claims: list[Responses] = []
        self._challenges = challenges
        self._verifier = verifier
        self._stubber = Stubber(self.client)
        self._stubber.activate()
        events = self.client.meta.events
        events.register("provide-client-params.cognito-idp.InitiateAuth", self._initiate_auth)
        events.register("provide-client-params.cognito-idp.RespondToAuthChallenge", self._respond)

    def _initiate_auth(self, params: dict[str, Any], **_: object) -> None:
        assert params["AuthFlow"] == "USER_SRP_AUTH"
        assert params["AuthParameters"]["USERNAME"] == USERNAME
        challenge = self._challenges.start(
            USER_ID, *self._verifier, params["AuthParameters"]["SRP_A"]
        )
        self._stubber.add_response(
            "initiate_auth",
            {
                "ChallengeName": "PASSWORD_VERIFIER",
                "ChallengeParameters": {**challenge, "USERNAME": USER_ID},
            },
        )

    def _respond(self, params: dict[str, Any], **_: object) -> None:
        responses: Responses = params["ChallengeResponses"]
        self.claims.append(dict(responses))
        if params["ChallengeName"] == "PASSWORD_VERIFIER" and verify(
            self._challenges, responses, responses["USERNAME"]
        ):
            self._stubber.add_response(
                "respond_to_auth_challenge",
                {
                    "ChallengeParameters": {},
                    "AuthenticationResult": {
                        "IdToken": "id-token",
                        "AccessToken": "access-token",
                        "RefreshToken": "refresh-token",
                        "ExpiresIn": 3600,
                        "TokenType": "Bearer",
                    },
                },
            )
        else:
            self._stubber.add_client_error(
                "respond_to_auth_challenge",
                service_error_code="NotAuthorizedException",
                service_message="Incorrect username or password.",
                http_status_code=400,
            )

    def sign_in(self, password: str) -> dict[str, Any]:
        srp = AWSSRP(
            username=USERNAME,
            password=password,
            pool_id=POOL_ID,
            client_id=CLIENT_ID,
            client=self.client,
        )
        tokens: dict[str, Any] = srp.authenticate_user()
        return tokens


@pytest.fixture
def verifier() -> SrpVerifier:
    return make_verifier(POOL_ID, USER_ID, PASSWORD)


# --- the parameters are the clients' ---------------------------------------------------------


def test_the_group_is_the_3072_bit_prime_and_generator_the_clients_use() -> None:
    assert int(N_HEX, 16) == SRP_PRIME
    assert SRP_PRIME.bit_length() == 3072
    assert SRP_GENERATOR == 2


@given(st.integers(min_value=0, max_value=2**3100))
def test_integers_are_hashed_in_the_clients_padded_hex_form(value: int) -> None:
    assert _padded(value) == bytes.fromhex(pad_hex(value))


@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 31)))
def test_timestamps_are_written_and_read_as_the_clients_write_them(moment: datetime) -> None:
    written = format_timestamp(moment.replace(tzinfo=UTC))

    assert written == AWSSRP.get_cognito_formatted_timestamp(moment)
    assert parse_timestamp(written) == moment.replace(tzinfo=UTC, microsecond=0)


def test_a_timestamp_has_no_leading_zero_on_the_day_and_is_always_utc() -> None:
    in_paris = datetime(2024, 3, 5, 10, 4, 1, tzinfo=timezone(timedelta(hours=1)))

    assert format_timestamp(in_paris) == "Tue Mar 5 09:04:01 UTC 2024"


@pytest.mark.parametrize(
    "timestamp",
    [
        "Tue Mar 05 09:04:01 UTC 2024",
        "Wed Mar 5 09:04:01 UTC 2024",
        "Tue Mar 5 09:04:01 GMT 2024",
        "Tue Mar 5 9:04:01 UTC 2024",
        "tue mar 5 09:04:01 UTC 2024",
        "Tue Mar 5 09:04:01 UTC 2024 ",
        "Tue Mar 5 24:00:00 UTC 2024",
        "Fri Feb 30 09:04:01 UTC 2024",
        "2024-03-05T09:04:01Z",
        "",
    ],
)
def test_a_timestamp_not_exactly_in_the_clients_form_is_not_read(timestamp: str) -> None:
    assert parse_timestamp(timestamp) is None


# --- verifiers ---------------------------------------------------------------------------------


def test_a_verifier_is_salted_afresh_each_time_a_password_is_set() -> None:
    first = make_verifier(POOL_ID, USER_ID, PASSWORD)
    second = make_verifier(POOL_ID, USER_ID, PASSWORD)

    assert first.salt_hex != second.salt_hex
    assert first.verifier_hex != second.verifier_hex
    assert PASSWORD not in repr(first)


def test_a_salt_with_leading_zero_bytes_is_sent_in_the_form_every_client_hashes_alike() -> None:
    verifier = make_verifier(POOL_ID, USER_ID, PASSWORD, salt=bytes(2) + b"\x8f" * 14)
    challenges = SrpChallenges(POOL_ID)

    sent_salt = challenges.start(USER_ID, "0000" + verifier.salt_hex, verifier.verifier_hex, "5")[
        "SALT"
    ]

    # pycognito hashes SALT as sent; amazon-cognito-identity-js parses it to an integer first.
    assert pad_hex(sent_salt) == pad_hex(int(sent_salt, 16))
    assert verify(challenges, pycognito_claim(challenges, verifier))


# --- pycognito signs in ------------------------------------------------------------------------


def test_pycognito_signs_in_through_boto3_with_the_right_password(verifier: SrpVerifier) -> None:
    pool = StubbedUserPool(SrpChallenges(POOL_ID), verifier)

    tokens = pool.sign_in(PASSWORD)

    assert tokens["AuthenticationResult"]["IdToken"] == "id-token"
    assert pool.claims[0]["USERNAME"] == USER_ID


def test_pycognito_gets_not_authorized_with_a_wrong_password(verifier: SrpVerifier) -> None:
    pool = StubbedUserPool(SrpChallenges(POOL_ID), verifier)

    with pytest.raises(pool.client.exceptions.NotAuthorizedException):
        pool.sign_in(PASSWORD + "!")


def test_a_replayed_claim_is_refused_after_a_successful_sign_in(verifier: SrpVerifier) -> None:
    pool = StubbedUserPool(SrpChallenges(POOL_ID), verifier)
    pool.sign_in(PASSWORD)

    with pytest.raises(pool.client.exceptions.NotAuthorizedException):
        pool.client.respond_to_auth_challenge(
            ClientId=CLIENT_ID,
            ChallengeName="PASSWORD_VERIFIER",
            ChallengeResponses=pool.claims[0],
        )


def test_the_challenge_parameters_are_the_four_cognito_sends(verifier: SrpVerifier) -> None:
    challenge = SrpChallenges(POOL_ID).start(USER_ID, *verifier, "abc123")

    assert set(challenge) == {"SRP_B", "SALT", "SECRET_BLOCK", "USER_ID_FOR_SRP"}
    assert challenge["USER_ID_FOR_SRP"] == USER_ID
    assert challenge["SALT"] == verifier.salt_hex
    assert 0 < int(challenge["SRP_B"], 16) < SRP_PRIME
    assert len(base64.b64decode(challenge["SECRET_BLOCK"], validate=True)) >= 32


def test_each_challenge_has_its_own_server_key_and_secret_block(verifier: SrpVerifier) -> None:
    challenges = SrpChallenges(POOL_ID)

    first = challenges.start(USER_ID, *verifier, "abc123")
    second = challenges.start(USER_ID, *verifier, "abc123")

    assert first["SRP_B"] != second["SRP_B"]
    assert first["SECRET_BLOCK"] != second["SECRET_BLOCK"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    user_id=st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=40),
    password=st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=64),
    typo=st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=3),
)
def test_any_user_signs_in_with_their_password_and_not_with_another(
    user_id: str, password: str, typo: str
) -> None:
    verifier = make_verifier(POOL_ID, user_id, password)
    challenges = SrpChallenges(POOL_ID)

    right = pycognito_claim(challenges, verifier, user_id=user_id, password=password)
    wrong = pycognito_claim(challenges, verifier, user_id=user_id, password=password + typo)

    assert verify(challenges, right, user_id)
    assert not verify(challenges, wrong, user_id)


# --- refusals ----------------------------------------------------------------------------------


def test_a_secret_block_answers_only_once(verifier: SrpVerifier) -> None:
    challenges = SrpChallenges(POOL_ID)
    claim = pycognito_claim(challenges, verifier)

    assert verify(challenges, claim)
    assert not verify(challenges, claim)


def test_a_failed_claim_spends_its_secret_block(verifier: SrpVerifier) -> None:
    challenges = SrpChallenges(POOL_ID)
    claim = pycognito_claim(challenges, verifier)

    assert not verify(challenges, claim, "someone-else")
    assert not verify(challenges, claim)


def _flip_first_character(text: str) -> str:
    return ("B" if text[0] == "A" else "A") + text[1:]


def _one_second_later(timestamp: str) -> str:
    signed_at = parse_timestamp(timestamp)
    assert signed_at is not None
    return format_timestamp(signed_at + timedelta(seconds=1))


TAMPERINGS: dict[str, Callable[[Responses], Responses]] = {
    "signature": lambda r: {
        **r,
        "PASSWORD_CLAIM_SIGNATURE": _flip_first_character(r["PASSWORD_CLAIM_SIGNATURE"]),
    },
    "non-ascii signature": lambda r: {
        **r,
        "PASSWORD_CLAIM_SIGNATURE": "é" + r["PASSWORD_CLAIM_SIGNATURE"][1:],
    },
    "truncated signature": lambda r: {
        **r,
        "PASSWORD_CLAIM_SIGNATURE": r["PASSWORD_CLAIM_SIGNATURE"][:-4],
    },
    "timestamp": lambda r: {**r, "TIMESTAMP": _one_second_later(r["TIMESTAMP"])},
    "secret block": lambda r: {
        **r,
        "PASSWORD_CLAIM_SECRET_BLOCK": base64.b64encode(b"not issued by this pool").decode(),
    },
}


@pytest.mark.parametrize("part", TAMPERINGS)
def test_an_altered_claim_is_refused(part: str, verifier: SrpVerifier) -> None:
    challenges = SrpChallenges(POOL_ID)
    claim = pycognito_claim(challenges, verifier)

    assert not verify(challenges, TAMPERINGS[part](claim))


def test_a_claim_for_another_user_is_refused(verifier: SrpVerifier) -> None:
    challenges = SrpChallenges(POOL_ID)
    claim = pycognito_claim(challenges, verifier)

    assert not verify(challenges, claim, user_id="bob")


def test_a_signature_made_for_one_secret_block_does_not_answer_another(
    verifier: SrpVerifier,
) -> None:
    challenges = SrpChallenges(POOL_ID)
    first = pycognito_claim(challenges, verifier)
    second = pycognito_claim(challenges, verifier)

    swapped = {**first, "PASSWORD_CLAIM_SECRET_BLOCK": second["PASSWORD_CLAIM_SECRET_BLOCK"]}

    assert not verify(challenges, swapped)
    assert verify(challenges, first)


@pytest.mark.parametrize("client_pool_id", [POOL_ID, "us-east-1_AnotherPool"])
def test_a_verifier_is_bound_to_its_user_pool(client_pool_id: str, verifier: SrpVerifier) -> None:
    challenges = SrpChallenges("us-east-1_AnotherPool")

    assert not verify(challenges, pycognito_claim(challenges, verifier, pool_id=client_pool_id))


@pytest.mark.parametrize(
    ("waited", "verified"),
    [(timedelta(minutes=1, seconds=59), True), (timedelta(minutes=2), False)],
)
def test_a_secret_block_expires(waited: timedelta, verified: bool, verifier: SrpVerifier) -> None:
    clock = clock_at_real_time()
    challenges = SrpChallenges(
        POOL_ID, clock=clock, ttl=timedelta(minutes=2), max_clock_skew=timedelta(minutes=10)
    )
    claim = pycognito_claim(challenges, verifier)

    clock.advance(waited)

    assert verify(challenges, claim) is verified


@pytest.mark.parametrize(
    ("server_clock_offset", "verified"),
    [
        (timedelta(minutes=4), True),
        (timedelta(minutes=6), False),
        (timedelta(minutes=-4), True),
        (timedelta(minutes=-6), False),
    ],
)
def test_a_timestamp_too_far_from_the_server_clock_is_refused(
    server_clock_offset: timedelta, verified: bool, verifier: SrpVerifier
) -> None:
    challenges = SrpChallenges(
        POOL_ID,
        clock=clock_at_real_time(server_clock_offset),
        ttl=timedelta(minutes=10),
        max_clock_skew=timedelta(minutes=5),
    )

    assert verify(challenges, pycognito_claim(challenges, verifier)) is verified


@pytest.mark.parametrize(
    "srp_a",
    [
        "0",
        f"{SRP_PRIME:x}",
        f"{2 * SRP_PRIME:x}",
        "",
        "xyz",
        "0x1f",
        " 1f",
        "1_f",
        "1f\n",
        "f" * 1025,
    ],
)
def test_an_unusable_srp_a_opens_no_challenge(srp_a: str, verifier: SrpVerifier) -> None:
    challenges = SrpChallenges(POOL_ID)

    with pytest.raises(MalformedSrpValue):
        challenges.start(USER_ID, *verifier, srp_a)
    assert len(challenges) == 0


@pytest.mark.parametrize("verifier_hex", ["0", f"{SRP_PRIME:x}", "not-hex"])
def test_an_unusable_stored_verifier_opens_no_challenge(verifier_hex: str) -> None:
    with pytest.raises(MalformedSrpValue):
        SrpChallenges(POOL_ID).start(USER_ID, "abcd", verifier_hex, "abc123")


# --- the registry stays bounded ----------------------------------------------------------------


def test_a_full_registry_refuses_new_challenges_and_keeps_the_pending_ones(
    verifier: SrpVerifier,
) -> None:
    # Evicting the oldest let a flood of anonymous starts spend a real user's challenge.
    challenges = SrpChallenges(POOL_ID, capacity=2)
    first, second = (pycognito_claim(challenges, verifier) for _ in range(2))

    with pytest.raises(ChallengesFull):
        pycognito_claim(challenges, verifier)
    assert len(challenges) == 2
    assert verify(challenges, first)
    assert verify(challenges, second)
    assert verify(challenges, pycognito_claim(challenges, verifier)), "room again once answered"


def test_only_a_pending_challenge_answered_wrongly_is_a_failed_attempt(
    verifier: SrpVerifier,
) -> None:
    challenges = SrpChallenges(POOL_ID)
    claim = pycognito_claim(challenges, verifier)
    forged = {**claim, "PASSWORD_CLAIM_SIGNATURE": base64.b64encode(b"x" * 32).decode()}

    assert (
        challenges.judge(
            USER_ID,
            forged["PASSWORD_CLAIM_SECRET_BLOCK"],
            forged["TIMESTAMP"],
            forged["PASSWORD_CLAIM_SIGNATURE"],
        )
        is Verdict.WRONG
    )
    assert (
        challenges.judge(
            USER_ID,
            claim["PASSWORD_CLAIM_SECRET_BLOCK"],
            claim["TIMESTAMP"],
            claim["PASSWORD_CLAIM_SIGNATURE"],
        )
        is Verdict.NOT_PENDING
    ), "spent by the forged answer: nothing more was attempted"


def test_expired_challenges_are_swept_when_a_new_one_starts(verifier: SrpVerifier) -> None:
    clock = ManualClock(datetime(2024, 3, 5, 9, 4, 1, tzinfo=UTC))
    challenges = SrpChallenges(POOL_ID, clock=clock, ttl=timedelta(minutes=5))
    for _ in range(3):
        challenges.start(USER_ID, *verifier, "abc123")

    clock.advance(timedelta(minutes=5))
    challenges.start(USER_ID, *verifier, "abc123")

    assert len(challenges) == 1


def test_a_pool_id_without_a_name_is_refused() -> None:
    with pytest.raises(ValueError, match="<region>_<name>"):
        SrpChallenges("us-east-1")
