"""Numbers and the sensitivity sentence, in French."""

from maillage.impacts.presenters import fr_number, sensitivity_sentence


def test_numbers_read_the_french_way():
    assert fr_number(12345.6) == "12\u202f346"
    assert fr_number(2.24523) == "2,25"
    assert fr_number(0.08123) == "0,0812"
    assert fr_number(0) == "0"


def test_the_sentence_names_the_coefficients_and_their_effect():
    moves = [
        {
            "quantity": "CO₂e évité par réparation réussie",
            "total_at_low": 0.216,
            "total_at_high": 5.184,
        },
    ]
    text = sensitivity_sentence(moves, "tCO₂e par an", True)
    assert "CO₂e évité par réparation réussie (de 0,216 à 5,18 tCO₂e par an)" in text
    assert text.endswith("Une mesure locale de cette grandeur resserrerait la fourchette.")
    assert "aucun coefficient" in sensitivity_sentence([], "t", False)
    assert "valeur unique" in sensitivity_sentence([], "t", True)
