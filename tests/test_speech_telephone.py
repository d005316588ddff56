"""Telephone and service numbers, digit by digit; a number after "call" that counts stays a count."""

from __future__ import annotations

import pytest
from speech_tools import rewrites, said

CASES = [
    ("Anyone in danger should call 999.", "Anyone in danger should call nine nine nine."),
    ("Patients were told to use NHS 111 online.", "Patients were told to use N.H.S one one one online."),
    ("Samaritans are free on 116 123.", "Samaritans are free on one one six, one two three."),
    ("Missing children: ring 116 000.", "Missing children: ring one one six, oh oh oh."),
    ("Report a power cut by calling 105.", "Report a power cut by calling one oh five."),
    ("For non-emergencies, dial 101.", "For non-emergencies, dial one oh one."),
    ("The 999 service handled a record day.", "The nine nine nine service handled a record day."),
    ("Ring 0300 123 3000 for help.", "Ring oh three oh oh, one two three, three oh oh oh for help."),
    ("Text SHOUT to 85258.", "Text SHOUT to eight five two five eight."),
]


@pytest.mark.parametrize(("written", "spoken"), CASES)
def test_phone_numbers_in_news_sentences(written: str, spoken: str) -> None:
    assert said(written) == spoken


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("The firm will call 400 customers.", "The firm will call four hundred customers."),
        ("The council issued 999 fines.", "The council issued nine hundred and ninety-nine fines."),
        ("Room 101 was booked.", "Room one hundred and one was booked."),
        ("Calls to the line rose to 5000 a week.", "Calls to the line rose to five thousand a week."),
        ("The bus was number 111 on the route.", "The bus was number one hundred and eleven on the route."),
    ],
)
def test_quantities_are_not_read_as_phone_numbers(written: str, spoken: str) -> None:
    assert said(written) == spoken


def test_explain_names_the_service_rule() -> None:
    assert rewrites("Call 999.") == [("service number (after 'call')", "999", "nine nine nine")]
    assert rewrites("The 999 service.") == [("service number (before 'service')", "999", "nine nine nine")]
