from ingest.normalize import clean_text, join_hyphenated, strip_running_lines


def test_line_break_hyphenation_is_repaired_but_real_hyphens_stay():
    text = (
        "Das Klima-\nschutzkonzept fördert E-\nMobilität, Klima-\nund Umweltschutz sowie\nCO2-\nArme Wärme 2020-\n2030."
    )
    assert join_hyphenated(text) == (
        "Das Klimaschutzkonzept fördert E-Mobilität, Klima- und Umweltschutz sowie\nCO2-Arme Wärme 2020-2030."
    )


def test_soft_hyphens_ligatures_and_decomposed_umlauts_are_cleaned():
    decomposed = "Wa\u0308rmeplanung"  # "ä" as a + combining diaeresis
    text = f"Stra\u00dfe {decomposed} Ener\u00adgie\u00ad\nberatung ﬁnanziert   neu\u00a0"
    assert clean_text(text) == "Straße Wärmeplanung Energieberatung finanziert neu"


def test_running_headers_footers_and_page_numbers_are_removed():
    topics = ["Wärme", "Mobilität", "Energie", "Beschaffung", "Klimaanpassung"]
    pages = [
        f"Klimaschutzkonzept Landkreis Hohenwalde 2022\n{n}\nDas Kapitel {topic} beginnt hier.\n"
        f"Es betrifft die Gemeinden im Bereich {topic}.\nSeite {n} von 5"
        for n, topic in enumerate(topics, 1)
    ]
    cleaned = strip_running_lines(pages)
    assert cleaned[2] == "Das Kapitel Energie beginnt hier.\nEs betrifft die Gemeinden im Bereich Energie."
    assert all("Klimaschutzkonzept Landkreis" not in page for page in cleaned)


def test_a_line_on_one_page_only_is_kept():
    pages = ["Kopf\nEinmaliger Titel\nText a", "Kopf\nText b\nmehr", "Kopf\nText c\nnoch mehr"]
    assert strip_running_lines(pages)[0] == "Einmaliger Titel\nText a"
