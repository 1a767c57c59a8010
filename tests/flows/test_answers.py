"""Every answer type: what is accepted, how it is stored, and the kind, concrete message when it is not."""

from __future__ import annotations

from datetime import date

import pytest

from bot.flows.answers import SKIP, display, explain, finish_multi, parse_answer, toggle
from tests.flows.builders import lone, options, texts

TODAY = date(2026, 11, 23)


def flat(text: str) -> str:
    """Babel's spaces inside numbers and dates (no-break, narrow) as plain ones."""
    return " ".join(text.split())


def test_text_length_bounds() -> None:
    step = lone("text", min=3, max=10)
    assert parse_answer(step, lang="en", text="  welder ").value == "welder"
    assert parse_answer(step, lang="en", text="ab").error == "Please write a little more: at least 3 characters."
    assert parse_answer(step, lang="en", text="x" * 11).error == "That is a bit long: please keep it to 10 characters."
    assert parse_answer(step, lang="en", text="   ").error == "Please type your answer in a message."
    assert parse_answer(step, lang="en", choice="stale").error == "Please type your answer in a message."


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("12", 12),
        ("1 500 000", 1_500_000),
        ("1,500,000", 1_500_000),
        ("1.500.000", 1_500_000),
        ("1'500'000 ֏", 1_500_000),
        ("2,5", 2.5),
        ("2.5", 2.5),
        ("3 млн", 3_000_000),
        ("1.5 million", 1_500_000),
        ("200k", 200_000),
        ("500 հազար", 500_000),
        ("700000 AMD", 700_000),
        ("50000 драм", 50_000),
    ],
)
def test_numbers_are_read_as_people_type_them(typed: str, value: float) -> None:
    step = lone("number", min=0, max=2_000_000_000, unit=texts("AMD"))
    parsed = parse_answer(step, lang="en", text=typed)
    assert parsed.ok and parsed.value == value and type(parsed.value) is type(value)


def test_number_errors_are_concrete() -> None:
    step = lone("number", min=0, max=60)
    assert parse_answer(step, lang="en", text="61").error == "The number should be between 0 and 60."
    assert parse_answer(step, lang="ru", text="-1").error == "Число должно быть от 0 до 60."
    assert parse_answer(step, lang="en", text="many").error == "Please write just a number, for example 10."
    whole = lone("number", integer=True, min=0)
    assert parse_answer(whole, lang="en", text="2.5").error == "Please write a whole number, for example 10."
    assert parse_answer(whole, lang="en", text="-3").error == "The number should be at least 0."
    money = lone("number", min=10_000, unit={"hy": "դրամ", "ru": "драм", "en": "AMD"})
    assert parse_answer(money, lang="en", text="$500").error == "Please write the amount in AMD, as a number."
    assert parse_answer(money, lang="ru", text="500 евро").error == "Пожалуйста, напишите сумму числом (валюта: драм)."


def test_numbers_are_shown_per_language_with_their_unit() -> None:
    money = lone("number", unit={"hy": "դրամ", "ru": "драм", "en": "AMD"})
    assert display(money, 1_500_000, "en") == "1,500,000 AMD"
    assert flat(display(money, 1_500_000, "hy")) == "1 500 000 դրամ"
    assert display(lone("number"), 2.5, "ru") == "2,5"


def test_year_bounds_come_from_the_step_and_today() -> None:
    step = lone("year", min=1950)
    assert parse_answer(step, lang="en", text="2019", today=TODAY).value == 2019
    assert parse_answer(step, lang="en", text="in 2019 г.", today=TODAY).value == 2019
    assert parse_answer(step, lang="en", text="1949", today=TODAY).error == "The year should be between 1950 and 2026."
    assert parse_answer(step, lang="en", text="2027", today=TODAY).error == "The year should be between 1950 and 2026."
    assert parse_answer(step, lang="hy", text="2030", today=TODAY).error == "Տարեթիվը պետք է լինի 1950-ից մինչև 2026։"
    assert (
        parse_answer(step, lang="en", text="19", today=TODAY).error
        == "Please write the year with four digits, for example 2023."
    )
    assert parse_answer(lone("year", max=2030), lang="en", text="2029", today=TODAY).ok


def test_dates_are_stored_in_iso_form_and_checked_against_days_from_today() -> None:
    step = lone("date", min=0, max=365)
    for typed in ("21.03.2027", "21/3/27", "21-03-2027", "2027-03-21"):
        parsed = parse_answer(step, lang="en", text=typed, today=TODAY)
        assert parsed.value == "2027-03-21", typed
    assert parsed.display == "March 21, 2027"
    assert flat(display(step, "2027-03-21", "ru")) == "21 марта 2027 г."
    assert (
        parse_answer(step, lang="en", text="31.02.2027", today=TODAY).error
        == "There is no such date. Please check the day and the month."
    )
    assert (
        parse_answer(step, lang="en", text="01.01.2026", today=TODAY).error
        == "The date should be between November 23, 2026 and November 23, 2027."
    )
    assert (
        parse_answer(lone("date", max=0), lang="en", text="24.11.2026", today=TODAY).error
        == "The date should not be later than November 23, 2026."
    )
    assert (
        parse_answer(step, lang="en", text="next week", today=TODAY).error
        == "Please write the date as day.month.year, for example 23.12.2026."
    )


def test_emails() -> None:
    step = lone("email")
    assert parse_answer(step, lang="en", text=" Anna.P@Mail.AM ").value == "Anna.P@mail.am"
    assert parse_answer(step, lang="en", text="anna@mail").error == (
        "This does not look like an email address. Please check it: it is written like name@example.com."
    )
    assert step.personal


@pytest.mark.parametrize(
    ("typed", "stored", "shown"),
    [
        ("091 23 45 67", "+37491234567", "+374 91 234567"),
        ("+374 91 234567", "+37491234567", "+374 91 234567"),
        ("077-12-34-56", "+37477123456", "+374 77 123456"),
        ("+7 912 345 67 89", "+79123456789", "+7 912 345-67-89"),
        ("79123456789", "+79123456789", "+7 912 345-67-89"),
        ("+49 1512 3456789", "+4915123456789", "+49 1512 3456789"),
        ("0049 1512 3456789", "+4915123456789", "+49 1512 3456789"),
    ],
)
def test_phones_armenian_and_foreign_are_stored_in_e164(typed: str, stored: str, shown: str) -> None:
    parsed = parse_answer(lone("phone"), lang="en", text=typed)
    assert (parsed.value, parsed.display) == (stored, shown)


def test_phone_errors_and_shared_contacts() -> None:
    step = lone("phone")
    for typed in ("12345", "phone", "8 912 345 67 89"):
        assert parse_answer(step, lang="en", text=typed).error == (
            "This does not look like a phone number. Please write an Armenian number like 091 23 45 67, "
            "or a foreign one with its country code, like +7 912 345 67 89."
        )
    contact = lone("contact")
    assert parse_answer(contact, lang="en", phone="37491234567").value == "+37491234567"
    assert parse_answer(contact, lang="en", text="091234567").value == "+37491234567"
    assert parse_answer(contact, lang="ru").error == (
        "Пожалуйста, нажмите кнопку ниже, чтобы отправить номер телефона, или напишите его."
    )
    assert contact.personal and step.personal


def test_locations() -> None:
    step = lone("location")
    parsed = parse_answer(step, lang="en", location=(40.1792, 44.4991))
    assert parsed.value == [40.1792, 44.4991] and parsed.display == "40.17920, 44.49910"
    assert (
        parse_answer(step, lang="en", location=(95.0, 0.0)).error
        == "Please tap the button below to share your location."
    )
    assert parse_answer(step, lang="en", text="Gyumri").error == "Please tap the button below to share your location."


def test_single_choice_by_button_label_in_any_language_or_number() -> None:
    step = lone("single", choices=options("construction", "farming", "other"))
    assert parse_answer(step, lang="en", choice="farming").value == "farming"
    assert parse_answer(step, lang="en", text="farming ru").value == "farming"  # the Russian label, typed in English UI
    assert parse_answer(step, lang="en", text=" CONSTRUCTION  hy!").value == "construction"
    assert parse_answer(step, lang="en", text="2").value == "farming"
    assert parse_answer(step, lang="en", text="constr").value == "construction"
    parsed = parse_answer(step, lang="en", text="9")
    assert parsed.error == "Please choose one of the options: tap its button below."
    assert (
        parse_answer(step, lang="en", choice="gone").error == "Please choose one of the options: tap its button below."
    )
    assert parse_answer(step, lang="ru", choice="other").display == "Other ru"


def test_regions_are_centre_ids_matched_by_name_or_town() -> None:
    step = lone("region")
    assert parse_answer(step, lang="en", text="Shirak").value == "shirak-gyumri"
    assert parse_answer(step, lang="ru", text="гюмри").value == "shirak-gyumri"
    assert parse_answer(step, lang="hy", text="Երևան").value == "yerevan"
    assert parse_answer(step, lang="hy", choice="lori-vanadzor").display == "Լոռու մարզ"


@pytest.mark.parametrize("typed", ["yes", "Ayo", "da", "Да", "այո՛", "Այո՞", "ha"])
def test_yes_in_any_language_and_in_latin_letters(typed: str) -> None:
    parsed = parse_answer(lone("yes_no"), lang="hy", text=typed)
    assert parsed.value is True and parsed.display == "Այո"


@pytest.mark.parametrize("typed", ["no", "voch", "Нет", "net", "ոչ", "չէ"])
def test_no_in_any_language_and_in_latin_letters(typed: str) -> None:
    parsed = parse_answer(lone("yes_no"), lang="ru", text=typed)
    assert parsed.value is False and parsed.display == "Нет"


def test_yes_no_buttons_and_errors() -> None:
    step = lone("yes_no")
    assert parse_answer(step, lang="en", choice="yes").value is True
    assert parse_answer(step, lang="en", choice="no").value is False
    assert parse_answer(step, lang="en", text="2").error == "Please answer yes or no: tap one of the buttons below."
    assert parse_answer(step, lang="en", text="maybe").error == "Please answer yes or no: tap one of the buttons below."


def test_multi_toggles_keep_the_choices_order_and_exclusive_choices_alone() -> None:
    step = lone("multi", choices=options("ru", "en", "de", "none", exclusive="none"))
    selected = toggle(step, [], "de")
    selected = toggle(step, selected, "ru")
    assert selected == ["ru", "de"]
    assert toggle(step, selected, "de") == ["ru"]
    assert toggle(step, selected, "none") == ["none"]
    assert toggle(step, ["none"], "en") == ["en"]
    assert toggle(step, selected, "stale") == ["ru", "de"]
    assert finish_multi(step, selected, "en").value == ["ru", "de"]
    assert finish_multi(step, selected, "en").display == "Ru, De"
    assert finish_multi(step, [], "en").error == "Please choose at least one option, then tap Done."
    assert finish_multi(lone("multi", optional=True, choices=options("a", "b")), [], "en").value is None


def test_multi_typed_as_a_list() -> None:
    step = lone("multi", choices=options("russian", "english", "german"))
    assert parse_answer(step, lang="en", text="German, russian and English").value == ["russian", "english", "german"]
    assert parse_answer(step, lang="en", choice="german").value == ["german"]
    assert parse_answer(step, lang="en", text="German, Klingon").error == (
        "I could not find “Klingon” among the options. Please use the buttons below."
    )


def test_optional_steps_can_be_skipped_required_ones_cannot() -> None:
    optional = lone("text", optional=True)
    for parsed in (
        parse_answer(optional, lang="en", choice=SKIP),
        parse_answer(optional, lang="ru", text="пропустить"),
        parse_answer(optional, lang="en", text="-"),
    ):
        assert parsed.ok and parsed.value is None and parsed.display == "—"
    required = lone("text")
    assert parse_answer(required, lang="en", choice=SKIP).error == (
        "This question is needed to go on, so it cannot be skipped."
    )


def test_custom_error_text_replaces_the_form_message_but_not_the_bounds() -> None:
    step = lone("number", min=0, max=5, error=texts("Just the number of children, please"))
    assert parse_answer(step, lang="ru", text="two").error == "Just the number of children, please ru"
    assert parse_answer(step, lang="en", text="7").error == "The number should be between 0 and 5."


def test_explain_says_what_form_is_expected_with_an_example() -> None:
    year = explain(lone("year", min=1950), "en", TODAY)
    assert "A year with four digits." in year and "between 1950 and 2026" in year and "For example: 2023" in year
    phone = explain(lone("phone", optional=True), "ru")
    assert "091 23 45 67" in phone and "Пропустить" in phone
    single = explain(lone("single", choices=options("a", "b")), "hy")
    assert "1. A hy" in single and "2. B hy" in single
    money = explain(lone("number", min=0, unit=texts("AMD"), example=texts("5 000 000")), "en")
    assert "Amounts are in AMD." in money and "For example: 5 000 000 ru" not in money and "5 000 000" in money


def test_info_and_summary_take_no_answer() -> None:
    from tests.flows.builders import build

    flow = build()
    assert parse_answer(flow.step("intro"), lang="en", text="anything").ok
    assert display(flow.step("fees"), None, "en") == "—"
