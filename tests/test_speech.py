"""Speech rules: written sentence in, words for the Piper voice out."""

from __future__ import annotations

import random
import re
import subprocess
import sys

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from narrate.text.speech import STEPS, SpeechRules, speak


def _speak(text: str, rules: SpeechRules) -> str:
    """speak() with every rule failure turned into a test failure (speak itself only warns)."""

    def fail(message: str) -> None:
        raise AssertionError(message)

    return speak(text, rules, warn=fail)


GB = "en-GB"
US = "en-US"
RULES = {GB: SpeechRules(), US: SpeechRules(locale=US)}

# (written, locale, spoken): exact strings, so any change in wording is a deliberate one.
CASES = [
    ("The deal was worth £1.4bn.", GB, "The deal was worth one point four billion pounds."),
    ("They spent £620m on it.", GB, "They spent six hundred and twenty million pounds on it."),
    ("They spent £620m on it.", US, "They spent six hundred twenty million pounds on it."),
    ("It costs $4.99 today.", GB, "It costs four dollars and ninety-nine cents today."),
    ("It costs $0.99 today.", GB, "It costs ninety-nine cents today."),
    ("A €3.2bn fund was set up.", GB, "A three point two billion euro fund was set up."),
    ("A 50p coin and a 1p coin.", GB, "A fifty pence coin and a one penny coin."),
    ("He paid £300.", GB, "He paid three hundred pounds."),
    ("It cost £1.", GB, "It cost one pound."),
    ("Musk gave $1m.", GB, "Musk gave one million dollars."),
    ("A £5k bonus.", GB, "A five thousand pound bonus."),
    ("Tickets cost £1.50 each.", GB, "Tickets cost one pound fifty each."),
    ("It cost £2.3 billion.", GB, "It cost two point three billion pounds."),
    ("The £5-10m range.", GB, "The five to ten million pound range."),
    ("A loss of -£5m.", GB, "A loss of minus five million pounds."),
    ("Inflation hit 21%.", GB, "Inflation hit twenty-one per cent."),
    ("Inflation hit 21%.", US, "Inflation hit twenty-one percent."),
    (
        "Growth was 0.8% and 12.5%.",
        GB,
        "Growth was zero point eight per cent and twelve point five per cent.",
    ),
    ("Prices rose 5-10%.", GB, "Prices rose five to ten per cent."),
    ("Up 5.5pc on the year.", GB, "Up five point five per cent on the year."),
    ("There were 1,237 people.", GB, "There were one thousand two hundred and thirty-seven people."),
    ("There were 1,237 people.", US, "There were one thousand two hundred thirty-seven people."),
    ("Pi is 3.14.", GB, "Pi is three point one four."),
    ("She came 2nd and 21st.", GB, "She came second and twenty-first."),
    ("Add ½ a cup or 2½ cups.", GB, "Add half a cup or two and a half cups."),
    ("Use ¼ or ¾ of it.", GB, "Use a quarter or three quarters of it."),
    ("Only 1/2 of voters and 2/3 of MPs.", GB, "Only one half of voters and two thirds of M.P.'s."),
    ("It fell to -5 overnight.", GB, "It fell to minus five overnight."),
    ("The 24/7 news cycle after 9/11.", GB, "The twenty-four seven news cycle after nine eleven."),
    ("In 1989 the wall fell.", GB, "In nineteen eighty-nine the wall fell."),
    ("War began in 1914.", GB, "War began in nineteen fourteen."),
    ("By 2025 it will be done.", GB, "By twenty twenty-five it will be done."),
    ("Since 2000 things changed.", GB, "Since two thousand things changed."),
    ("In 2005 he left.", GB, "In two thousand and five he left."),
    ("In 2005 he left.", US, "In two thousand five he left."),
    ("In the 2000s and the 1990s.", GB, "In the two thousands and the nineteen nineties."),
    ("Music of the '90s and the 1960s.", GB, "Music of the nineties and the nineteen sixties."),
    ("There were 2,000 people.", GB, "There were two thousand people."),
    ("About 2000 people came.", GB, "About two thousand people came."),
    ("There were 1500 jobs lost.", GB, "There were one thousand five hundred jobs lost."),
    ("The 2024 general election.", GB, "The twenty twenty-four general election."),
    ("On 3 March 2025 the vote happened.", GB, "On the third of March twenty twenty-five the vote happened."),
    ("On 3 March 2025 the vote happened.", US, "On March third, twenty twenty-five the vote happened."),
    ("On March 3, 2025 the vote happened.", US, "On March third, twenty twenty-five the vote happened."),
    ("On March 3, 2025 the vote happened.", GB, "On March the third, twenty twenty-five the vote happened."),
    ("Born on 19/07/1985.", GB, "Born on the nineteenth of July nineteen eighty-five."),
    ("Born on 07/19/1985.", US, "Born on July nineteenth, nineteen eighty-five."),
    ("Born on 19/07/1985.", US, "Born on July nineteenth, nineteen eighty-five."),
    ("Published 2025-12-15.", GB, "Published the fifteenth of December twenty twenty-five."),
    ("From Jan. to Dec. 2024.", GB, "From January to December twenty twenty-four."),
    ("It starts on 1st Sept.", GB, "It starts on the first of September."),
    ("The meeting is at 9.30am.", GB, "The meeting is at nine thirty A.M."),
    ("The meeting is at 10 a.m.", GB, "The meeting is at ten A.M."),
    ("It ended at 10 p.m.", GB, "It ended at ten P.M."),
    # 24-hour times are said on the 24-hour clock: "two P.M" added a fact the writer did not give
    (
        "It opens at 14:00 and closes at 09:30.",
        GB,
        "It opens at fourteen hundred and closes at oh nine thirty.",
    ),
    ("Doors open at 9am.", GB, "Doors open at nine A.M."),
    ("Doors open at 7:45pm.", GB, "Doors open at seven forty-five P.M."),
    ("The train leaves at 9:30.", GB, "The train leaves at nine thirty."),
    ("Let's meet at 9.30 then.", GB, "Let's meet at nine thirty then."),
    ("It ran 2020-25.", GB, "It ran twenty twenty to twenty twenty-five."),
    ("It ran from 1914-18.", GB, "It ran from nineteen fourteen to nineteen eighteen."),
    ("The festival runs 10-12 May.", GB, "The festival runs the tenth to the twelfth of May."),
    ("The festival runs May 10-12.", US, "The festival runs May tenth to twelfth."),
    ("Wait 5-10 minutes.", GB, "Wait five to ten minutes."),
    ("The score was 3-1.", GB, "The score was three-one."),
    ("Mr Smith and Mrs Jones met Ms Brown.", GB, "Mister Smith and Missus Jones met Miz Brown."),
    ("Dr. Patel and Prof Green spoke.", GB, "Doctor Patel and Professor Green spoke."),
    ("St Paul's is near Downing St.", GB, "Saint Paul's is near Downing Street."),
    ("Officials at Downing St said no.", GB, "Officials at Downing Street said no."),
    ("No 10 said No. 10 was fine.", GB, "Number Ten said Number Ten was fine."),
    ("Fruit, e.g. apples, i.e. food, etc.", GB, "Fruit, for example apples, that is food, et cetera."),
    ("Spurs vs Arsenal and Chelsea vs. Leeds.", GB, "Spurs versus Arsenal and Chelsea versus Leeds."),
    ("It took approx. 5 hours.", GB, "It took approximately five hours."),
    ("Gen. Smith met Sgt. Jones.", GB, "General Smith met Sergeant Jones."),
    ("Charles III met Elizabeth II.", GB, "Charles the Third met Elizabeth the Second."),
    ("Henry VIII had six wives.", GB, "Henry the Eighth had six wives."),
    ("After World War II it changed.", GB, "After World War Two it changed."),
    ("It was 20°C outside.", GB, "It was twenty degrees Celsius outside."),
    ("It was -3°C at night.", GB, "It was minus three degrees Celsius at night."),
    ("It was 20°C outside.", US, "It was twenty degrees Celsius outside."),
    ("A 5km run at 70mph.", GB, "A five kilometre run at seventy miles per hour."),
    ("A 5km run at 70mph.", US, "A five kilometer run at seventy miles per hour."),
    ("It weighs 3kg and is 10 cm long.", GB, "It weighs three kilograms and is ten centimetres long."),
    (
        "It used 2.5 kWh and 4GB of data.",
        GB,
        "It used two point five kilowatt hours and four gigabytes of data.",
    ),
    ("Salt & pepper.", GB, "Salt and pepper."),
    ("Only for those aged 18+.", GB, "Only for those aged eighteen plus."),
    ("The NHS and the BBC.", GB, "The N.H.S and the B.B.C."),
    ("MPs voted on the bill.", GB, "M.P.'s voted on the bill."),
    ("The U.S. and the U.K. and the E.U. agreed.", GB, "The U.S and the U.K and the E.U agreed."),
    ("He moved to the U.S.", GB, "He moved to the U.S."),
    ("NATO and Ofwat and COVID rules.", GB, "Nato and Ofwat and Covid rules."),
    ("The FBI, CIA and IMF.", GB, "The F.B.I, C.I.A and I.M.F."),
    ("The GDP of the UK.", GB, "The G.D.P of the U.K."),
    ("The UK's economy.", GB, "The U.K.'s economy."),
    ("The AI boom.", GB, "The A.I boom."),
    ("The XYZ company.", GB, "The X.Y.Z company."),
    ("The UNHCR said so.", GB, "The UNHCR said so."),
    ("EXCLUSIVE: PRIME MINISTER TO QUIT OVER NHS", GB, "exclusive: prime minister to quit over N.H.S"),
    ("Email tips@example.org today.", GB, "Email tips at example dot org today."),
    (
        "See https://www.bylinetimes.com/2025/12/15/long-path-here for more.",
        GB,
        "See bylinetimes dot com for more.",
    ),
    ("Visit example.org.", GB, "Visit example dot org."),
    ("Read more at bbc.co.uk/news now.", GB, "Read more at B.B.C dot co dot U.K now."),
    ("Follow @bylinetimes for updates.", GB, "Follow at bylinetimes for updates."),
    ("He paused - then spoke.", GB, "He paused, then spoke."),
    ("He paused – then spoke — and left.", GB, "He paused, then spoke, and left."),
    ("And then... nothing.", GB, "And then, nothing."),
    ("And then…", GB, "And then."),
    ("Wow 😀 great news.", GB, "Wow great news."),
    ("Zero\u200dwidth\u200b joiners.", GB, "Zerowidth joiners."),
    ('"I don\'t know," he said.', GB, "I don't know, he said."),
    ("‘Putin’s war’ began in the ’90s.", GB, "Putin's war began in the nineties."),
    ("The plan (announced today) failed.", GB, "The plan, announced today, failed."),
    ("Use the hashtag #BlackLivesMatter.", GB, "Use the hashtag Black Lives Matter."),
    ("Is it true?", GB, "Is it true?"),
    ("Really!", GB, "Really!"),
    ("A 5-year-old boy.", GB, "A five-year-old boy."),
    ("The G7 met near the M25.", GB, "The G seven met near the M-twenty-five."),
    ("COVID-19 hit hard.", GB, "Covid-nineteen hit hard."),
    ("Call 020 7946 0958 now.", GB, "Call oh two oh, seven nine four six, oh nine five eight now."),
    ("A&E and M&S.", GB, "A-and-E and M-and-S."),
    ("King Charles III's speech.", GB, "King Charles the Third's speech."),
    ("A 2,000-strong crowd.", GB, "A two thousand-strong crowd."),
    ("1 in 5 adults", GB, "one in five adults"),
    (
        "The Bank of England cut rates to 4.25% from 4.5%.",
        GB,
        "The Bank of England cut rates to four point two five per cent from four point five per cent.",
    ),
    (
        "The Fed held rates at 5.25%-5.5%.",
        GB,
        "The Fed held rates at five point two five per cent to five point five per cent.",
    ),
    ("Open between 9.30 and 10.30 daily.", GB, "Open between nine thirty and ten thirty daily."),
    (
        "Some 40% of under-25s can't afford rent.",
        GB,
        "Some forty per cent of under-twenty-fives can't afford rent.",
    ),
    ("He is 6ft 2in tall.", GB, "He is six feet two inches tall."),
    ("It costs £9.99/month.", GB, "It costs nine pounds ninety-nine per month."),
    (
        "In 2023/24 the NHS spent £4.5bn.",
        GB,
        "In twenty twenty-three twenty-four the N.H.S spent four point five billion pounds.",
    ),
    ("The train derailed at 05:42.", GB, "The train derailed at oh five forty-two."),
    ("Shares in BP fell 3p to 412p.", GB, "Shares in B.P fell three pence to four hundred and twelve pence."),
    ("He was born c. 1950 in St Helens.", GB, "He was born circa nineteen fifty in Saint Helens."),
    (
        "The UN's COP29 summit agreed a $300bn deal.",
        GB,
        "The U.N.'s Cop twenty-nine summit agreed a three hundred billion dollar deal.",
    ),
    (
        "Posted on Tuesday 4th November 2025",
        GB,
        "Posted on Tuesday the fourth of November twenty twenty-five",
    ),
    (
        "Temperatures hit 40.3C on 19 July 2022.",
        GB,
        "Temperatures hit forty point three degrees Celsius on the nineteenth of July twenty twenty-two.",
    ),
    (
        "Temperatures hit 40.3C on 19 July 2022.",
        US,
        "Temperatures hit forty point three degrees Celsius on July nineteenth, twenty twenty-two.",
    ),
    ("A 50-50 split and a 2-1 vote.", GB, "A fifty-fifty split and a two to one vote."),
    ("The U.S.-led coalition.", GB, "The U.S-led coalition."),
    (
        "Those aged 18-24 in the mid-1990s.",
        GB,
        "Those aged eighteen to twenty-four in the mid-nineteen nineties.",
    ),
    (
        "Write to jo.smith99@news.bbc.co.uk now.",
        GB,
        "Write to jo dot smith nine nine at news dot B.B.C dot co dot U.K now.",
    ),
    ("She's the UK's No. 1 seed.", GB, "She's the U.K.'s Number one seed."),
    (
        "In 2019 there were 2019 complaints.",
        GB,
        "In twenty nineteen there were two thousand and nineteen complaints.",
    ),
    ("The CIA Director met the UAE's envoy.", GB, "The C.I.A Director met the U.A.E.'s envoy."),
    ("Shares in HSBC plc and PwC fell.", GB, "Shares in H.S.B.C P.L.C and P.W.C fell."),
    (
        "It opens at 14:00 and closes at 09:30.",
        US,
        "It opens at fourteen hundred and closes at oh nine thirty.",
    ),
    ("Fruit, e.g. apples, i.e. food, etc.", US, "Fruit, for example apples, that is food, et cetera."),
    ("Some 40% of under-25s.", US, "Some forty percent of under-twenty-fives."),
    (
        "The 1,237 MPs met in 2005.",
        US,
        "The one thousand two hundred thirty-seven M.P.'s met in two thousand five.",
    ),
]


@pytest.mark.parametrize(("written", "locale", "spoken"), CASES)
def test_table(written: str, locale: str, spoken: str) -> None:
    assert speak(written, RULES[locale]) == spoken


# --------------------------------------------------------------------------- configuration


def test_extra_spelled_and_word_acronyms() -> None:
    rules = SpeechRules(spell=frozenset({"ACAS", "UNHCR"}), words=frozenset({"NHS"}))
    assert speak("ACAS, the UNHCR and the NHS.", rules) == "A.C.A.S, the U.N.H.C.R and the Nhs."


def test_words_win_over_spell() -> None:
    rules = SpeechRules(spell=frozenset({"SAGE"}), words=frozenset({"SAGE"}))
    assert speak("SAGE met.", rules) == "Sage met."


def test_locale_spellings_accepted() -> None:
    assert speak("21%", SpeechRules(locale="en_US")) == "twenty-one percent"
    assert speak("21%", SpeechRules(locale="en-gb")) == "twenty-one per cent"


@pytest.mark.parametrize("text", ["", " ", "...", "😀", "\u200b", "—", "()", '""', "\x00\x07"])
def test_nothing_speakable_gives_empty(text: str) -> None:
    assert speak(text) == ""


def test_terminal_punctuation_kept_and_not_invented() -> None:
    assert speak("It rose 5%.") == "It rose five per cent."
    assert speak("It rose 5%") == "It rose five per cent"
    assert speak('"Did it rise 5%?"') == "Did it rise five per cent?"
    assert speak("Fruit etc.") == "Fruit et cetera."


# Pathological inputs that once took 25-100 s of CPU through backtracking or quadratic scans. Bounded by
# CPU time in a child process (a busy machine slows the wall clock, not the CPU time of one process);
# all of them together take about 2 s.
_PATHOLOGICAL = (
    '"word " * 1000',
    '"1" * 50_000',
    '"St " * 15_000',
    '"a½" * 20_000',
    '"9/9/99 " * 7000',
    '"1-" * 25_000',
)


def test_pathological_inputs_finish_in_bounded_cpu_time() -> None:
    code = (
        "import resource\n"
        "resource.setrlimit(resource.RLIMIT_CPU, (20, 20))\n"
        "from narrate.text.speech import speak\n"
        f"for text in ({', '.join(_PATHOLOGICAL)},):\n"
        "    speak(text)\n"
        "print('done')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and proc.stdout.strip() == "done", proc.stderr[-500:]


def test_a_failing_rule_is_skipped_with_a_warning_naming_it_and_the_sentence() -> None:
    def broken(text: str, state: object) -> str:
        raise KeyError("oops")

    steps = [(name, rule) if name != "money" else ("money", broken) for name, rule in STEPS]
    warnings: list[str] = []
    out = speak("The 2025 budget gave £5m to 3 schools.", SpeechRules(), warn=warnings.append, steps=steps)
    # the other rules still ran: the year and the count are words; the money, unread, lost its digits
    assert out.startswith("The twenty twenty-five budget gave") and "three schools" in out
    assert warnings == [
        "the money rule failed (KeyError: 'oops') on 'The 2025 budget gave £5m to 3 schools.'; "
        "listen to how it is read"
    ]


def test_a_failing_last_rule_falls_back_to_the_bare_words() -> None:
    steps = [*STEPS[:-1], ("finish", lambda text, state: 1 / 0)]
    warnings: list[str] = []
    assert speak("Ushakov paid £5.", warn=warnings.append, steps=steps) == "Ushakov paid"
    assert len(warnings) == 1 and "the finish rule failed (ZeroDivisionError" in warnings[0]


# --------------------------------------------------------------------------- properties

_ALLOWED_OUTPUT = re.compile(r"^[A-Za-z\u00c0-\u024f\u0370-\u1fff\u2c00-\ud7ff' .,;:?!-]*$")
_PLAIN_WORDS = (
    "the council said people were angry about water bills and rising rents while ministers "
    "promised reform tomorrow across every region including rural towns coastal villages "
    "hospital schools police budgets climate energy prices wages workers families"
).split()
_EMOJI = ["😀", "🙂", "👍🏽", "❤️", "🇬🇧", "👨‍👩‍👧", "1️⃣", "🤔", "🎉", "☺"]
_INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\x00", "\x07", "\x1b", "\u202e"]
_NUMBERISH = [
    "£1.4bn", "£620m", "$4.99", "€3.2bn", "50p", "£300", "£2.3 billion", "£1", "$1m", "£5k", "£1.50",
    "21%", "0.8%", "12.5%", "1,237", "3.14", "2nd", "21st", "½", "2¾", "1/2", "-5", "1989", "2025",
    "the 1990s", "'90s", "3 March 2025", "March 3, 2025", "19/07/1985", "2025-12-15", "9.30am",
    "10 a.m.", "14:00", "9am", "2020-25", "10-12 May", "5-10", "20°C", "5km", "70mph", "4GB", "18+",
    "No 10", "1,000,000", "0", "007", "24/7", "G7", "COVID-19", "£5-10m", "10x", "3-1", "100m",
    "+44 20 7946 0958", "1.5", ".5", "99.9%", "#1", "1e5", "2,000", "5 km", "12:30pm", "Jan. 2024",
]  # fmt: skip
_INVISIBLE_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufe00-\ufe0f\ufeff]")
_SYMBOLS = list("&+@#%/*=<>~^|\\_()[]{}\"'…–—-·•§©®™°±×÷$£€¥") + ["...", " - ", "--"]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_never_raises_on_any_text(text: str) -> None:
    for rules in RULES.values():
        out = _speak(text, rules)
        assert isinstance(out, str)
        assert out == out.strip()
        assert "  " not in out


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(_PLAIN_WORDS),
            st.sampled_from(_NUMBERISH),
            st.sampled_from(_SYMBOLS),
            st.sampled_from(_EMOJI + _INVISIBLE),
            st.from_regex(r"[A-Z]{2,6}s?", fullmatch=True),
            st.integers(-(10**7), 10**7).map(str),
        ),
        max_size=25,
    ),
    st.sampled_from([" ", "", ", "]),
    st.sampled_from(["", ".", "?", "!"]),
)
def test_mixed_tokens_give_clean_output(tokens: list[str], sep: str, end: str) -> None:
    text = sep.join(tokens) + end
    for rules in RULES.values():
        out = _speak(text, rules)
        assert _ALLOWED_OUTPUT.match(out), out
        assert not re.search(r"\d", out)
        assert "face" not in out.lower()
        assert "[[" not in out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_NUMBERISH + _PLAIN_WORDS), min_size=1, max_size=12))
def test_every_number_is_spoken(tokens: list[str]) -> None:
    text = " ".join(tokens) + "."
    for rules in RULES.values():
        out = _speak(text, rules)
        assert not re.search(r"\d", out), (text, out)
        assert out.endswith(".")


# Abbreviations, units and number suffixes are expected to change, so only "plain" words count.
_NOT_PLAIN = frozenset(
    "am pm bn tn mn mln pc st nd rd th km cm mm kg mg lb lbs oz ft ml ha mph kph kmh mins min hrs hr "
    "secs yrs etc eg ie vs approx cf ca sq mi kw gw mw plc".split()
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.from_regex(r"[a-z]{2,10}", fullmatch=True).filter(lambda w: w not in _NOT_PLAIN),
            st.sampled_from(_PLAIN_WORDS),
        ),
        min_size=1,
        max_size=15,
    ),
    st.lists(st.sampled_from(_NUMBERISH + _EMOJI + _INVISIBLE + _SYMBOLS), max_size=6),
    st.randoms(use_true_random=False),
)
@example(["plain", "words"], ["plc"], random.Random(0))  # plc, an abbreviation, as extra noise only
def test_plain_words_survive(words: list[str], extras: list[str], rnd) -> None:  # noqa: ANN001
    tokens = list(words)
    for extra in extras:
        tokens.insert(rnd.randrange(len(tokens) + 1), extra)
    text = " ".join(tokens)
    for rules in RULES.values():
        spoken = set(re.findall(r"[a-z]+", _speak(text, rules).lower()))
        missing = [w for w in words if w not in spoken]
        assert not missing, (text, _speak(text, rules))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_PLAIN_WORDS + _EMOJI + _INVISIBLE), min_size=1, max_size=20), st.text())
def test_emoji_and_invisible_characters_dropped(tokens: list[str], noise: str) -> None:
    text = "".join(t if t in _EMOJI or t in _INVISIBLE else f" {t} " for t in tokens) + noise
    out = _speak(text, SpeechRules())
    assert not any(ch in out for ch in "".join(_EMOJI + _INVISIBLE))
    assert not _INVISIBLE_RE.search(out)
    assert "face" not in out.lower().replace("surface", "")
