import pytest

from ingest.sentences import split_sentences


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


@pytest.mark.parametrize(
    "text",
    [
        "Förderfähig sind z. B. Radwege und Ladepunkte.",
        "Der Kreis berät bzw. begleitet die Gemeinden.",
        "Gemäß § 3 Abs. 2 Nr. 4 der Richtlinie ist das zulässig.",
        "Details stehen auf S. 12 im Anhang.",
        "Die 3. Sitzung fand am 14. März 2024 im Landratsamt statt.",
        "Am 24.11.2026 tagte der Ausschuss erneut.",
        "Dr. Meier und Prof. Schulz stellten ca. 40 Maßnahmen vor.",
        "Das heißt, d. h. die Gemeinden u. a. in Talheim profitieren.",
    ],
)
def test_abbreviations_dates_and_ordinals_do_not_end_a_sentence(text):
    assert sentences(text) == [text]


def test_sentences_end_at_stops_questions_and_years():
    text = "Das Konzept wurde 2024 beschlossen. Wer setzt es um? Der Kreis! „Wir“ machen weiter."
    assert sentences(text) == [
        "Das Konzept wurde 2024 beschlossen.",
        "Wer setzt es um?",
        "Der Kreis!",
        "„Wir“ machen weiter.",
    ]


def test_list_items_on_their_own_lines_are_sentences():
    assert sentences("• Radwege ausbauen\n• Ladepunkte planen") == ["• Radwege ausbauen", "• Ladepunkte planen"]
