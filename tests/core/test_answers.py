"""Specification: how the coach reads check-in and onboarding answers as patients actually write them."""


import pytest
from hypothesis import given
from hypothesis import strategies as st

from rehab_coach.core.answers import Answers
from rehab_coach.core.contract import QUESTIONS
from rehab_coach.core.model import PAIN_FIELDS
from tests.conftest import read_answers

WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
         "twenty"]
TEMPLATES = ["{n}", "{n}/10", "about a {n}", "{n} out of 10", "{n} of 10", "it's a {n}", "maybe {n}"]


def test_answers_are_immutable():
    answers = read_answers("4", "pain_rest")
    assert isinstance(answers, Answers)
    with pytest.raises(AttributeError):
        answers.values = {}  # type: ignore[misc]


@pytest.mark.parametrize("text,expected", [
    ("4", 4),
    ("4/10", 4),
    ("4 / 10", 4),
    ("4 out of 10", 4),
    ("4 of 10", 4),
    ("four", 4),
    ("Four out of ten", 4),
    ("zero", 0),
    ("0", 0),
    ("none", 0),
    ("no pain", 0),
    ("nothing", 0),
    ("pain free", 0),
    ("pain-free today", 0),
    ("it doesn't hurt", 0),
    ("about a 4", 4),
    ("around 3ish", 3),
    ("4ish", 4),
    ("maybe 2", 2),
    ("a 6", 6),
    ("I'd say a 3 right now", 3),
    ("10/10", 10),
    ("one", 1),
])
def test_a_single_pain_answer_reads_as_its_number(text, expected):
    assert read_answers(text, "pain_rest").values == {"pain_rest": expected}


@pytest.mark.parametrize("text,expected", [
    ("4.5", 5),
    ("4.4", 4),
    ("2.5/10", 3),
    ("0.5", 1),
])
def test_decimals_round_half_up_to_the_safer_side(text, expected):
    assert read_answers(text, "pain_exercise").values["pain_exercise"] == expected


@pytest.mark.parametrize("text,expected", [
    ("4 or 5", 5),
    ("4-5", 5),
    ("4 - 5", 5),
    ("4 to 5", 5),
    ("between 4 and 5", 5),
    ("5 or 4", 5),
    ("2, maybe 3", 3),
    ("4-5/10", 5),
])
def test_a_range_reads_as_its_higher_value(text, expected):
    assert read_answers(text, "pain_exercise").values == {"pain_exercise": expected}


def test_a_change_reads_as_where_the_pain_is_now():
    assert read_answers("it went from 5 to 2", "pain_rest").values == {"pain_rest": 2}


@pytest.mark.parametrize("text,shown", [
    ("15", "15"),
    ("11/10", "11/10"),
    ("-1", "-1"),
    ("10.5", "10.5"),
    ("twelve", "twelve"),
    ("9 or 11", "9 or 11"),
])
def test_out_of_range_pain_is_a_problem_never_a_clamped_value(text, shown):
    answers = read_answers(text, "pain_rest")
    assert answers.values == {}
    assert answers.problems["pain_rest"] == f"{shown} is outside the 0 to 10 scale"


@pytest.mark.parametrize("text", ["3 out of 5", "3/4"])
def test_pain_on_another_scale_is_a_problem(text):
    answers = read_answers(text, "pain_rest")
    assert "pain_rest" not in answers.values
    assert "0 to 10" in answers.problems["pain_rest"]


def test_several_unlabelled_numbers_are_a_problem_not_a_guess():
    answers = read_answers("2, 4, 3", "pain_rest")
    assert answers.values == {}
    assert "several numbers" in answers.problems["pain_rest"]


@pytest.mark.parametrize("text,requested,expected", [
    ("rest 2, exercise 4 and 3 this morning", "pain_rest", {"pain_rest": 2, "pain_exercise": 4, "pain_morning": 3}),
    ("at rest it's a 2, during exercises about 5, this morning 3", None,
     {"pain_rest": 2, "pain_exercise": 5, "pain_morning": 3}),
    ("rest 2 exercise 4 morning 3", None, {"pain_rest": 2, "pain_exercise": 4, "pain_morning": 3}),
    ("2 at rest 4 during exercise 3 in the morning", None, {"pain_rest": 2, "pain_exercise": 4, "pain_morning": 3}),
    ("rest: 2, exercise: 4, morning: 3", None, {"pain_rest": 2, "pain_exercise": 4, "pain_morning": 3}),
    ("2/10 at rest, 5/10 in class, 3/10 when I got up", None,
     {"pain_rest": 2, "pain_exercise": 5, "pain_morning": 3}),
    ("it was a 5 yesterday during class but now it's 2", "pain_rest", {"pain_rest": 2, "pain_exercise": 5}),
    ("no pain at rest, about 4 during exercise", None, {"pain_rest": 0, "pain_exercise": 4}),
    ("when i woke up it was about a 3", "pain_morning", {"pain_morning": 3}),
    ("first thing it was 4", "pain_rest", {"pain_morning": 4}),
    ("sitting down it's 1", "pain_exercise", {"pain_rest": 1}),
    ("2, and 4 during my workout", "pain_rest", {"pain_rest": 2, "pain_exercise": 4}),
])
def test_labelled_pain_values_fill_their_own_fields(text, requested, expected):
    assert read_answers(text, requested).values == expected


def test_an_unlabelled_number_answers_only_the_requested_pain_field():
    assert read_answers("3", "pain_morning").values == {"pain_morning": 3}
    assert read_answers("3", "swelling").values == {}
    assert read_answers("3", None).values == {}


def test_a_label_for_another_field_leaves_the_requested_one_asked_again():
    answers = read_answers("3 this morning", "pain_rest")
    assert answers.values == {"pain_morning": 3}
    assert "pain_rest" in answers.problems


@pytest.mark.parametrize("text", [
    "I did 3 sets of 10 calf raises",
    "woke at 7am",
    "it's been 2 days",
    "ran 5k",
])
def test_counts_times_and_distances_are_not_pain(text):
    assert not {f for f in read_answers(text, "pain_exercise").values if f in PAIN_FIELDS}


@pytest.mark.parametrize("text,expected", [
    ("no swelling", "none"),
    ("not swollen", "none"),
    ("none", "none"),
    ("nope", "none"),
    ("no swelling at all", "none"),
    ("the swelling has gone", "none"),
    ("a bit", "mild"),
    ("slightly", "mild"),
    ("a little swollen", "mild"),
    ("puffy", "mild"),
    ("it's a bit puffy", "mild"),
    ("not very swollen", "mild"),
    ("not much swelling", "mild"),
    ("swelling has gone down a bit", "mild"),
    ("mild", "mild"),
    ("very swollen", "marked"),
    ("really puffy", "marked"),
    ("a lot", "marked"),
    ("marked", "marked"),
    ("big", "marked"),
    ("it's swollen like a balloon", "marked"),
])
def test_swelling_reads_everyday_wording_and_negation(text, expected):
    assert read_answers(text, "swelling").values == {"swelling": expected}


@pytest.mark.parametrize("text", ["swollen", "yes"])
def test_swelling_without_an_amount_is_asked_again(text):
    answers = read_answers(text, "swelling")
    assert answers.values == {}
    assert "mild" in answers.problems["swelling"] and "marked" in answers.problems["swelling"]


@pytest.mark.parametrize("text,expected", [
    ("it caught", "catching"),
    ("catching", "catching"),
    ("clicked and caught", "catching"),
    ("locked", "locking"),
    ("it got stuck", "locking"),
    ("jammed", "locking"),
    ("gave way", "giving_way"),
    ("it gave out on the stairs", "giving_way"),
    ("buckled", "giving_way"),
    ("none", "none"),
    ("no", "none"),
    ("nothing", "none"),
    ("didn't", "none"),
    ("all fine", "none"),
    ("no catching or locking", "none"),
    ("it didn't give way", "none"),
    ("no catching but it locked once", "locking"),
    ("it caught and then locked", "locking"),
])
def test_mechanical_symptoms_read_with_negation(text, expected):
    assert read_answers(text, "mechanical").values == {"mechanical": expected}


def test_several_mechanical_symptoms_keep_the_most_severe():
    assert read_answers("caught a few times and gave way once", "mechanical").values["mechanical"] == "giving_way"


@pytest.mark.parametrize("text,expected", [
    ("all", "all"),
    ("everything", "all"),
    ("did it all", "all"),
    ("yes all of it", "all"),
    ("some", "some"),
    ("half", "some"),
    ("most of it", "some"),
    ("a few", "some"),
    ("not all of it", "some"),
    ("didn't finish them", "some"),
    ("only the stretches", "some"),
    ("I did all the stretches but none of the balance", "some"),
    ("none", "none"),
    ("didn't", "none"),
    ("skipped it", "none"),
    ("no", "none"),
    ("didn't do any", "none"),
    ("i didn't do them, sorry", "none"),
    ("I haven't done them", "none"),
])
def test_adherence_reads_all_some_or_none(text, expected):
    assert read_answers(text, "adherence").values == {"adherence": expected}


@pytest.mark.parametrize("text,requested,expected", [
    ("left", "side", "left"),
    ("my left one", "side", "left"),
    ("the right one", "side", "right"),
    ("both", "side", "both"),
    ("left and right", "side", "both"),
    ("it's my right ankle", None, "right"),
])
def test_side_reads_left_right_or_both(text, requested, expected):
    assert read_answers(text, requested).values == {"side": expected}


@pytest.mark.parametrize("text", ["right now it's a 2", "all right", "that's right"])
def test_right_as_a_word_is_not_a_side(text):
    assert "side" not in read_answers(text, "pain_rest").values


@pytest.mark.parametrize("text,requested,expected", [
    ("dance", "sport", "dance"),
    ("I dance ballet", "sport", "dance"),
    ("I dance ballet", None, "dance"),
    ("contemporary", "sport", "dance"),
    ("I'm a dancer", None, "dance"),
    ("running", "sport", "running"),
    ("im a runner", "sport", "running"),
    ("jogging mostly", "sport", "running"),
    ("soccer", "sport", "football"),
    ("I play football on sundays", None, "football"),
    ("tennis", "sport", "other"),
    ("I play netball", "sport", "other"),
    ("gym", "sport", "other"),
    ("I play squash", "sport", "other"),
    ("nothing really", "sport", "other"),
])
def test_sport_reads_the_main_sport(text, requested, expected):
    assert read_answers(text, requested).values == {"sport": expected}


@pytest.mark.parametrize("text", ["can I run today?", "pain during running was 4", "should I dance tonight"])
def test_a_sport_mentioned_in_passing_is_not_the_onboarding_answer(text):
    assert "sport" not in read_answers(text, "pain_exercise").values


@pytest.mark.parametrize("text,expected", [
    ("yes", "yes"),
    ("yeah", "yes"),
    ("yep, by my physio", "yes"),
    ("physio said it's impingement", "yes"),
    ("doctor diagnosed it last month", "yes"),
    ("no", "no"),
    ("nope", "no"),
    ("not yet", "no"),
    ("haven't seen anyone", "no"),
    ("havent seen anyone yet", "no"),
    ("self diagnosed with google", "no"),
])
def test_diagnosed_reads_yes_or_no(text, expected):
    assert read_answers(text, "diagnosed").values == {"diagnosed": expected}


def test_unsure_about_diagnosis_is_asked_again():
    assert "diagnosed" in read_answers("not sure", "diagnosed").problems


@pytest.mark.parametrize("text,requested,expected", [
    ("a bit swollen and it caught twice", "swelling", {"swelling": "mild", "mechanical": "catching"}),
    ("no swelling, didn't lock, did all of it", "swelling",
     {"swelling": "none", "mechanical": "none", "adherence": "all"}),
    ("yes all of it, no swelling and it didn't catch", "adherence",
     {"adherence": "all", "swelling": "none", "mechanical": "none"}),
    ("3 at rest, a little puffy, did most of them", "pain_rest",
     {"pain_rest": 3, "swelling": "mild", "adherence": "some"}),
])
def test_one_message_can_answer_several_questions(text, requested, expected):
    assert read_answers(text, requested).values == expected


@pytest.mark.parametrize("text,requested,hint", [
    ("purple", "pain_rest", "0 to 10"),
    ("", "pain_morning", "0 to 10"),
    ("   ", "pain_exercise", "0 to 10"),
    ("blue", "swelling", "none, mild or marked"),
    ("purple", "mechanical", "giving way"),
    ("maybe", "adherence", "all, some or none"),
    ("purple", "side", "left, right or both"),
    ("purple", "sport", "something else"),
    ("purple", "diagnosed", "yes or no"),
])
def test_an_unreadable_answer_restates_what_is_expected(text, requested, hint):
    answers = read_answers(text, requested)
    assert requested not in answers.values
    assert hint in answers.problems[requested]


def test_without_a_question_an_unreadable_message_has_no_problems():
    assert read_answers("can I go to dance class?", None) == Answers({}, {})


@pytest.mark.parametrize("text,requested", [
    ("a bit swollen and it caught twice", "swelling"),
    ("rest 2, exercise 4 and 3 this morning", "pain_rest"),
    ("yes", "diagnosed"),
    ("the right one", "side"),
    ("tennis", "sport"),
    ("most of it", "adherence"),
])
def test_every_value_read_is_one_the_contract_allows(text, requested):
    for name, value in read_answers(text, requested).values.items():
        spec = QUESTIONS[name]
        if spec["type"] == "scale":
            assert isinstance(value, int) and spec["min"] <= value <= spec["max"]
        elif spec["type"] == "choice":
            assert value in spec["choices"]
        else:
            assert value in ("yes", "no")


@given(n=st.integers(min_value=0, max_value=10), template=st.sampled_from([*TEMPLATES, "word"]),
       field=st.sampled_from(PAIN_FIELDS))
def test_any_pain_from_0_to_10_in_any_common_form_reads_exactly(n, template, field):
    text = WORDS[n] if template == "word" else template.format(n=n)
    assert read_answers(text, field).values == {field: n}


@given(n=st.integers(min_value=11, max_value=10**6), template=st.sampled_from([*TEMPLATES, "word"]),
       field=st.sampled_from(PAIN_FIELDS))
def test_any_pain_above_10_is_a_problem_never_a_value(n, template, field):
    text = WORDS[n] if template == "word" and n < len(WORDS) else template.replace("word", "{n}").format(n=n)
    answers = read_answers(text, field)
    assert field not in answers.values
    assert "outside the 0 to 10 scale" in answers.problems[field]


@given(text=st.text(max_size=80), requested=st.sampled_from([None, *QUESTIONS]))
def test_any_text_reads_without_error_and_a_field_is_never_both_accepted_and_rejected(text, requested):
    answers = read_answers(text, requested)
    assert not set(answers.values) & set(answers.problems)


def test_every_value_the_reader_can_produce_is_in_the_contract():
    from rehab_coach.core import answers

    tables = {"swelling": answers._SWELLING_BARE, "mechanical": answers._MECHANICAL_PHRASES,
              "sport": answers._SPORT_WORDS}
    for name, table in tables.items():
        assert set(table) <= set(QUESTIONS[name]["choices"]), name


@pytest.mark.parametrize("text", [
    "catch you later",
    "who's the best footballer ever",
    "could i do some jogging",
    "i forgot how to do the towel one",
    "how do i do heel raises on both feet",
    "my big toe locks",
    "can I go to dance class?",
    "what's my plan today",
])
def test_without_a_question_ordinary_chat_answers_nothing(text):
    assert read_answers(text, None) == Answers({}, {})
