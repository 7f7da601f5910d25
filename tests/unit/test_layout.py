import unicodedata

import pytest

from trapline.inventory.layout import FolderLayout, LayoutError


def test_station_and_camera_from_leading_folders():
    layout = FolderLayout.parse("{station}/{camera}")
    assert layout.locate("ST01/A/IMG_0001.JPG") == ("ST01", "A")
    assert layout.locate("ST01/A/DCIM/100RECNX/IMG_0001.JPG") == ("ST01", "A")


def test_too_shallow_path_has_no_place():
    layout = FolderLayout.parse("{station}/{camera}")
    assert layout.locate("ST01/IMG_0001.JPG") is None
    assert layout.locate("IMG_0001.JPG") is None


def test_camera_is_optional_and_star_skips_a_folder():
    assert FolderLayout.parse("{station}").locate("ST01/x/I.JPG") == ("ST01", None)
    star = FolderLayout.parse("*/{station}/{camera}")
    assert star.locate("north/ST01/B/I.JPG") == ("ST01", "B")


@pytest.mark.parametrize(
    "pattern", ["{camera}", "{station}/{station}", "{site}/{camera}", ""]
)
def test_bad_patterns_name_the_key(pattern):
    with pytest.raises(LayoutError, match="config key 'layout'"):
        FolderLayout.parse(pattern)


def test_names_are_read_in_nfc_whatever_the_file_system_wrote():
    """macOS writes folder names decomposed (NFD); spreadsheets keep them composed."""
    nfd = unicodedata.normalize("NFD", "Zürich/Süd/I.JPG")
    assert nfd != "Zürich/Süd/I.JPG"
    got = FolderLayout.parse("{station}/{camera}").locate(nfd)
    assert got == (unicodedata.normalize("NFC", "Zürich"), "Süd")
    assert all(unicodedata.is_normalized("NFC", name) for name in got)


def test_species_folder_names_the_species():
    layout = FolderLayout.parse("{station}/{camera}/{species}")
    assert layout.locate("ST01/A/Lynx lynx/I.JPG") == ("ST01", "A")
    assert layout.species("ST01/A/Lynx lynx/I.JPG") == "Lynx lynx"
    assert FolderLayout.parse("{station}").species("ST01/I.JPG") is None
    with pytest.raises(LayoutError, match="at most once"):
        FolderLayout.parse("{station}/{species}/{species}")


def test_camtrapr_file_names_place_files_without_station_folders():
    layout = FolderLayout.parse("{station}/{camera}")
    assert layout.locate("ST_01__CAM_A__2026-03-01__04-26-36(1).JPG") == (
        "ST_01",
        "CAM_A",
    )
    assert layout.locate("renamed/ST01__2026-03-01__04-26-36.jpg") == ("ST01", None)
    assert layout.locate("renamed/ST01_2026-03-01_04-26-36.JPG") is None
    assert layout.locate("ST01/A/ST09__B__2026-03-01__04-26-36.JPG") == ("ST01", "A")
